import { Construct } from 'constructs';
import { API_VERSION, FromNameOptions, SecretReference } from '../core/api.js';
import { FluxDuration, renderDuration, renderOptionalDuration } from '../core/duration.js';
import { FluxObject, FluxObjectProps, IFluxObject, ImportedFluxObject } from '../core/flux-object.js';
import { Checks, q } from '../core/rules.js';

/** A cloud whose workload identity authenticates to the registry. */
export type OciProvider = 'generic' | 'aws' | 'azure' | 'gcp';

/** Which artifact of the repository to pull; `digest` wins over `semver`, which wins over `tag`. */
export interface OciRepositoryRef {
  /** An image tag. @default "latest" when no other field is set */
  readonly tag?: string;
  /** A semver range (Masterminds syntax) over the repository's tags; the highest match is pulled. @default - none */
  readonly semver?: string;
  /** A regular expression tags must match before `semver` is applied. @default - every tag */
  readonly semverFilter?: string;
  /** An image digest, `sha256:<64 hex>`. @default - none */
  readonly digest?: string;
}

/** Which layer of the artifact to take, and how. */
export interface OciLayerSelector {
  /** The layer's media type, e.g. `application/vnd.cncf.helm.chart.content.v1.tar+gzip`. @default - the first layer */
  readonly mediaType?: string;
  /** `extract` untars the layer; `copy` keeps it as is (a Helm chart, say). @default "extract" */
  readonly operation?: 'extract' | 'copy';
}

/** An identity a keyless cosign signature must carry; both fields are regular expressions. */
export interface OidcIdentityMatch {
  /** The OIDC issuer, e.g. `^https://token\.actions\.githubusercontent\.com$`. */
  readonly issuer: string;
  /** The subject, e.g. `^https://github\.com/acme/fleet/\.github/workflows/release\.yaml@refs/heads/main$`. */
  readonly subject: string;
}

/** How source-controller verifies the artifact's signature before anyone uses it. */
export interface OciVerification {
  /** The signing tool. */
  readonly provider: 'cosign' | 'notation';
  /**
   * The Secret holding the public keys (cosign) or the trust policy and certificates (notation).
   * @default - keyless cosign verification against the public Sigstore instance
   */
  readonly secretRef?: SecretReference;
  /**
   * The identities a keyless cosign signature may carry; any one must match.
   * @default - any identity (set this: without it, any keyless signature verifies)
   */
  readonly matchOIDCIdentity?: OidcIdentityMatch[];
  /** A Secret with a Sigstore trusted root, for a private Sigstore instance. @default - the public Sigstore trust root */
  readonly trustedRootSecretRef?: SecretReference;
}

/** Props of an {@link OciRepository}. */
export interface OciRepositoryProps extends FluxObjectProps {
  /** The repository, `oci://<registry>/<repository>`, with no tag or digest (those go in `ref`). */
  readonly url: string;
  /** Which artifact to pull. @default - the tag `latest` */
  readonly ref?: OciRepositoryRef;
  /** How often to look for a new artifact. @default 5m */
  readonly interval?: FluxDuration;
  /** Which layer to take. @default - the first layer, extracted */
  readonly layerSelector?: OciLayerSelector;
  /** Authenticate with this cloud's workload identity. @default "generic" (secretRef or anonymous) */
  readonly provider?: OciProvider;
  /** A `kubernetes.io/dockerconfigjson` Secret with the registry credentials. @default - anonymous, or `provider` */
  readonly secretRef?: SecretReference;
  /** A service account whose image pull secrets are used. @default - none */
  readonly serviceAccountName?: string;
  /** A Secret with the TLS client certificate and CA (`tls.crt`, `tls.key`, `ca.crt`). @default - system roots */
  readonly certSecretRef?: SecretReference;
  /** A Secret with the proxy address and credentials. @default - no proxy */
  readonly proxySecretRef?: SecretReference;
  /** Signature verification. @default - none */
  readonly verify?: OciVerification;
  /** Allow plain HTTP to the registry. @default false */
  readonly insecure?: boolean;
  /** Timeout of registry operations; no hours. @default 60s */
  readonly timeout?: FluxDuration;
  /** Files of the artifact to ignore, in .gitignore format. @default - none */
  readonly ignore?: string;
  /** Stop reconciling. @default false */
  readonly suspend?: boolean;
}

/** An OCIRepository, as other objects may reference it. */
export interface IOciRepository extends IFluxObject {
  readonly kind: 'OCIRepository';
}

/** An OCIRepository (`source.toolkit.fluxcd.io/v1`): an artifact in an OCI registry, pulled and verified by Flux. */
export class OciRepository extends FluxObject implements IOciRepository {
  /** References an OCIRepository managed elsewhere. */
  public static fromName(scope: Construct, id: string, name: string, options: FromNameOptions = {}): IOciRepository {
    return new ImportedFluxObject(scope, id, { apiVersion: API_VERSION.source, kind: 'OCIRepository', name, namespace: options.namespace }) as IOciRepository;
  }

  declare public readonly kind: 'OCIRepository';

  /** The props, as given. */
  public readonly props: OciRepositoryProps;

  public constructor(scope: Construct, id: string, props: OciRepositoryProps) {
    super(scope, id, props, { apiVersion: API_VERSION.source, kind: 'OCIRepository' });
    this.props = props;
  }

  /** @internal */
  protected renderSpec(): object {
    const p = this.props;
    const spec = {
      url: p.url,
      interval: renderDuration(p.interval ?? '5m'),
      ...(p.ref ? { ref: { ...p.ref } } : {}),
      ...(p.layerSelector ? { layerSelector: { ...p.layerSelector } } : {}),
      provider: p.provider,
      secretRef: p.secretRef ? { name: p.secretRef.name } : undefined,
      serviceAccountName: p.serviceAccountName,
      certSecretRef: p.certSecretRef ? { name: p.certSecretRef.name } : undefined,
      proxySecretRef: p.proxySecretRef ? { name: p.proxySecretRef.name } : undefined,
      verify: renderVerification(p.verify),
      insecure: p.insecure,
      timeout: renderOptionalDuration(p.timeout),
      ignore: p.ignore,
      suspend: p.suspend,
    };
    return spec;
  }

  /** @internal */
  protected validateProps(c: Checks): void {
    const p = this.props;
    c.ociUrl('spec.url', p.url, 'spec.ref');
    c.duration('spec.interval', p.interval);
    c.duration('spec.timeout', p.timeout, { hours: false });
    c.semverRange('spec.ref.semver', p.ref?.semver);
    c.regex('spec.ref.semverFilter', p.ref?.semverFilter);
    if (p.ref?.semverFilter !== undefined && p.ref.semver === undefined) c.add('spec.ref.semverFilter is set without spec.ref.semver; set a semver range too');
    if (p.ref?.digest !== undefined && !/^sha256:[a-f0-9]{64}$/.test(p.ref.digest)) {
      c.add(`spec.ref.digest ${q(p.ref.digest)} is not a digest; use "sha256:" followed by 64 lowercase hex digits`);
    }
    c.oneOf('spec.provider', p.provider, ['generic', 'aws', 'azure', 'gcp']);
    c.oneOf('spec.layerSelector.operation', p.layerSelector?.operation, ['extract', 'copy']);
    if (p.provider !== undefined && p.provider !== 'generic' && p.secretRef) {
      c.add(`spec.secretRef is set with provider ${q(p.provider)}; the cloud identity replaces the pull secret, so drop one of them`);
    }
    if (p.verify) checkVerification(c, p.verify);
  }
}

/** Renders `spec.verify` of an OCIRepository or HelmChart. @internal */
export function renderVerification(v: OciVerification | undefined) {
  return v ? {
    provider: v.provider,
    secretRef: v.secretRef ? { name: v.secretRef.name } : undefined,
    matchOIDCIdentity: v.matchOIDCIdentity?.map((m) => ({ issuer: m.issuer, subject: m.subject })),
    ...(v.trustedRootSecretRef ? { trustedRootSecretRef: { name: v.trustedRootSecretRef.name } } : {}),
  } : undefined;
}

/** Checks `spec.verify` of an OCIRepository or HelmChart. @internal */
export function checkVerification(c: Checks, v: OciVerification): void {
  c.oneOf('spec.verify.provider', v.provider, ['cosign', 'notation']);
  if (v.matchOIDCIdentity && (v.provider !== 'cosign' || v.secretRef)) {
    c.add('spec.verify.matchOIDCIdentity applies to keyless cosign only; drop it, or drop spec.verify.secretRef and use provider "cosign"');
  }
  if (v.provider === 'notation' && !v.secretRef) {
    c.add('spec.verify.secretRef is required with provider "notation" (the trust policy and certificates)');
  }
  v.matchOIDCIdentity?.forEach((m, i) => {
    c.regex(`spec.verify.matchOIDCIdentity[${i}].issuer`, m.issuer);
    c.regex(`spec.verify.matchOIDCIdentity[${i}].subject`, m.subject);
  });
}
