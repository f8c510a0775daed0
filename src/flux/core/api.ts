/**
 * The API versions Flux v2.9 and the Flux Operator serve: one served (and stored) version per kind. Flux v2.10 serves
 * the same, except `Provider` and `Alert` at `notification.toolkit.fluxcd.io/v1` (see `notificationApiVersion()`).
 */
export const API_VERSION = {
  source: 'source.toolkit.fluxcd.io/v1',
  kustomize: 'kustomize.toolkit.fluxcd.io/v1',
  helm: 'helm.toolkit.fluxcd.io/v2',
  notification: 'notification.toolkit.fluxcd.io/v1beta3',
  receiver: 'notification.toolkit.fluxcd.io/v1',
  image: 'image.toolkit.fluxcd.io/v1',
  operator: 'fluxcd.controlplane.io/v1',
} as const;

/** A reference to a Secret by name; a cdk8s-plus `Secret` (or `Secret.fromSecretName()`) fits. */
export interface SecretReference {
  /** The Secret's name, in the namespace of the object that refers to it. */
  readonly name: string;
}

/** A reference to one key of a Secret. */
export interface SecretKeyReference extends SecretReference {
  /** The key within the Secret. @default - the key the field documents */
  readonly key?: string;
}

/** Labels and annotations added to objects, over their own. */
export interface CommonMetadata {
  /** Labels to add. @default - none */
  readonly labels?: Record<string, string>;
  /** Annotations to add. @default - none */
  readonly annotations?: Record<string, string>;
}

/** A requirement on one label of a Kubernetes label selector. */
export interface LabelSelectorRequirement {
  /** The label key. */
  readonly key: string;
  /** How the label relates to `values`. */
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  /** The values, for `In` and `NotIn`. @default - none, as `Exists` and `DoesNotExist` take */
  readonly values?: string[];
}

/** Options of a kind's `fromName()`. */
export interface FromNameOptions {
  /** The object's namespace. @default - the enclosing Chart's namespace, or `flux-system` */
  readonly namespace?: string;
}

/**
 * The annotation that allows `spec.insecure: true` (plain HTTP to the registry) on an OCIRepository or HelmRepository,
 * e.g. for a registry on a private network. Without it, the validator refuses insecure sources.
 */
export const ALLOW_INSECURE_ANNOTATION = 'flux-fleet.io/allow-insecure';
