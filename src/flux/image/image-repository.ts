import { Construct } from 'constructs';
import { API_VERSION, FromNameOptions, SecretReference } from '../core/api.js';
import { FluxDuration, renderDuration, renderOptionalDuration } from '../core/duration.js';
import { FluxObject, FluxObjectProps, IFluxObject, ImportedFluxObject } from '../core/flux-object.js';
import { Checks, q } from '../core/rules.js';
import type { AccessFromNamespaceSelector } from '../source/helm-repository.js';

/** A cloud whose workload identity authenticates to the registry. */
export type ImageRepositoryProvider = 'generic' | 'aws' | 'azure' | 'gcp';

/** Namespaces whose ImagePolicies may refer to this ImageRepository; any selector may match. */
export interface ImageRepositoryAccessFrom {
  /** Selectors of namespace labels; an empty `matchLabels` matches every namespace. */
  readonly namespaceSelectors: AccessFromNamespaceSelector[];
}

/** Props of an {@link ImageRepository}. */
export interface ImageRepositoryProps extends FluxObjectProps {
  /** The image to scan, without scheme, tag or digest, e.g. `ghcr.io/stefanprodan/podinfo`. */
  readonly image: string;
  /** How often to scan the registry for tags. @default 5m */
  readonly interval?: FluxDuration;
  /** Timeout of a scan; no hours. @default - the interval */
  readonly timeout?: FluxDuration;
  /** A `kubernetes.io/dockerconfigjson` Secret with the registry credentials. @default - anonymous, or `provider` */
  readonly secretRef?: SecretReference;
  /** A service account whose image pull secrets are used. @default - none */
  readonly serviceAccountName?: string;
  /** A Secret with the TLS client certificate and CA (`tls.crt`, `tls.key`, `ca.crt`). @default - system roots */
  readonly certSecretRef?: SecretReference;
  /** A Secret with the proxy address and credentials. @default - no proxy */
  readonly proxySecretRef?: SecretReference;
  /** Authenticate with this cloud's workload identity. @default "generic" (secretRef or anonymous) */
  readonly provider?: ImageRepositoryProvider;
  /**
   * Regular expressions (Go syntax) of tags not to store; at most 25. Setting it replaces the default list.
   * @default - `^.*\.sig$` (cosign signature tags)
   */
  readonly exclusionList?: string[];
  /** Allow plain HTTP to the registry. @default false */
  readonly insecure?: boolean;
  /** Stop scanning. @default false */
  readonly suspend?: boolean;
  /** Let ImagePolicies of other namespaces refer to this repository. @default - same-namespace policies only */
  readonly accessFrom?: ImageRepositoryAccessFrom;
}

/** A ImageRepository, as other objects may reference it. */
export interface IImageRepository extends IFluxObject {
  readonly kind: 'ImageRepository';
}

/** An ImageRepository (`image.toolkit.fluxcd.io/v1`): scans a container image repository for its tags. */
export class ImageRepository extends FluxObject implements IImageRepository {
  /** References an ImageRepository managed elsewhere. */
  public static fromName(scope: Construct, id: string, name: string, options: FromNameOptions = {}): IImageRepository {
    return new ImportedFluxObject(scope, id, { apiVersion: API_VERSION.image, kind: 'ImageRepository', name, namespace: options.namespace }) as IImageRepository;
  }

  declare public readonly kind: 'ImageRepository';

  /** The props, as given. */
  public readonly props: ImageRepositoryProps;

  public constructor(scope: Construct, id: string, props: ImageRepositoryProps) {
    super(scope, id, props, { apiVersion: API_VERSION.image, kind: 'ImageRepository' });
    this.props = props;
  }

  /** @internal */
  protected renderSpec(): object {
    const p = this.props;
    const spec = {
      image: p.image,
      interval: renderDuration(p.interval ?? '5m'),
      timeout: renderOptionalDuration(p.timeout),
      secretRef: p.secretRef ? { name: p.secretRef.name } : undefined,
      serviceAccountName: p.serviceAccountName,
      certSecretRef: p.certSecretRef ? { name: p.certSecretRef.name } : undefined,
      proxySecretRef: p.proxySecretRef ? { name: p.proxySecretRef.name } : undefined,
      provider: p.provider,
      exclusionList: p.exclusionList ? [...p.exclusionList] : undefined,
      insecure: p.insecure,
      suspend: p.suspend,
      accessFrom: p.accessFrom ? {
        namespaceSelectors: p.accessFrom.namespaceSelectors.map((s) => ({ ...(s.matchLabels ? { matchLabels: { ...s.matchLabels } } : {}) })),
      } : undefined,
    };
    return spec;
  }

  /** @internal */
  protected validateProps(c: Checks): void {
    const p = this.props;
    checkImageName(c, 'spec.image', p.image);
    c.duration('spec.interval', p.interval);
    c.duration('spec.timeout', p.timeout, { hours: false });
    c.oneOf('spec.provider', p.provider, ['generic', 'aws', 'azure', 'gcp']);
    c.dnsName('spec.serviceAccountName', p.serviceAccountName);
    if (p.exclusionList && p.exclusionList.length > 25) {
      c.add(`spec.exclusionList has ${p.exclusionList.length} entries; at most 25 are allowed: merge some into one expression with "|"`);
    }
    p.exclusionList?.forEach((re, i) => c.regex(`spec.exclusionList[${i}]`, re));
    if (p.accessFrom && p.accessFrom.namespaceSelectors.length === 0) {
      c.add('spec.accessFrom.namespaceSelectors is empty, so no namespace is granted access; add a selector ({} matches every namespace) or drop spec.accessFrom');
    }
  }
}

const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/** An image name as a registry reads it: `[registry[:port]/]path`, with no scheme, tag or digest. */
function checkImageName(c: Checks, field: string, value: string): void {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[0];
  if (scheme) {
    c.add(`${field} ${q(value)} carries a scheme; drop ${q(scheme)} and name the image alone, e.g. ${q(value.slice(scheme.length))}`);
    return;
  }
  const at = value.indexOf('@');
  if (at >= 0) {
    c.add(`${field} ${q(value)} carries a digest; drop ${q(value.slice(at))}: an ImagePolicy picks the image version`);
    return;
  }
  const slash = value.lastIndexOf('/');
  const last = value.slice(slash + 1);
  if (last.includes(':')) {
    const tag = last.slice(last.indexOf(':'));
    c.add(`${field} ${q(value)} carries a tag; drop ${q(tag)}: the repository is scanned for every tag and an ImagePolicy picks one`);
    return;
  }
  const parts = value.split('/');
  const hasDomain = parts.length > 1 && (parts[0].includes('.') || parts[0].includes(':') || parts[0] === 'localhost');
  const path = hasDomain ? parts.slice(1) : parts;
  const domainOk = !hasDomain || DOMAIN.test(parts[0]);
  if (!domainOk || path.length === 0 || !path.every((p) => PATH_COMPONENT.test(p))) {
    const suggestion = (hasDomain ? [parts[0], ...path.map((p) => p.toLowerCase())] : path.map((p) => p.toLowerCase())).join('/');
    c.add(`${field} ${q(value)} is not an image name: use [registry/]path with lowercase letters, digits and '.', '_' or '-' between them, e.g. ${q(suggestion === value ? 'ghcr.io/acme/app' : suggestion)}`);
  }
}
