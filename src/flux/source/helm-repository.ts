import { Construct } from 'constructs';
import type { OciProvider } from './oci-repository.js';
import { API_VERSION, FromNameOptions, SecretReference } from '../core/api.js';
import { FluxDuration, renderDuration, renderOptionalDuration } from '../core/duration.js';
import { FluxObject, FluxObjectProps, IFluxObject, ImportedFluxObject } from '../core/flux-object.js';
import { Checks, q } from '../core/rules.js';

/** The kind of Helm repository: an HTTP/S repository with an `index.yaml`, or charts in an OCI registry. */
export type HelmRepositoryType = 'default' | 'oci';

/** Namespaces selected by their labels. */
export interface AccessFromNamespaceSelector {
  /** Labels a namespace must carry; an empty map selects every namespace. @default - every namespace */
  readonly matchLabels?: Record<string, string>;
}

/** Which namespaces may refer to the repository (provisional in Flux: not enforced yet). */
export interface HelmRepositoryAccessFrom {
  /** Namespace selectors; any one matching grants access. */
  readonly namespaceSelectors: AccessFromNamespaceSelector[];
}

/** Props of a {@link HelmRepository}. */
export interface HelmRepositoryProps extends FluxObjectProps {
  /**
   * The repository: `https://` (or `http://`) for a repository with an `index.yaml`, `oci://<registry>/<path>`
   * for charts in an OCI registry (without a chart name, tag or digest: those go in the HelmChart).
   */
  readonly url: string;
  /** The kind of repository. @default - "oci" for an oci:// URL, otherwise "default" */
  readonly type?: HelmRepositoryType;
  /** Authenticate with this cloud's workload identity; OCI repositories only. @default "generic" (secretRef or anonymous) */
  readonly provider?: OciProvider;
  /**
   * A Secret with the credentials: `username`/`password`, or for OCI a `kubernetes.io/dockerconfigjson` Secret.
   * @default - anonymous access, or the `provider` identity
   */
  readonly secretRef?: SecretReference;
  /** A Secret with the TLS client certificate and CA (`tls.crt`, `tls.key`, `ca.crt`). @default - system roots */
  readonly certSecretRef?: SecretReference;
  /**
   * Send the credentials to hosts other than the URL's, when the index serves charts from elsewhere; HTTP/S
   * repositories only, and a risk of leaking them.
   * @default false
   */
  readonly passCredentials?: boolean;
  /** Allow plain HTTP to the registry; OCI repositories only (use an http:// URL otherwise). @default false */
  readonly insecure?: boolean;
  /**
   * How often to fetch the index. Flux does not use it for OCI repositories, which it never fetches on its own,
   * but it is still written.
   * @default 5m
   */
  readonly interval?: FluxDuration;
  /** Timeout of index fetches and OCI pulls; no hours. @default 60s */
  readonly timeout?: FluxDuration;
  /** Stop reconciling. @default false */
  readonly suspend?: boolean;
  /** Which namespaces may refer to the repository (provisional: Flux does not enforce it yet). @default - none */
  readonly accessFrom?: HelmRepositoryAccessFrom;
}

/** A HelmRepository, as other objects may reference it. */
export interface IHelmRepository extends IFluxObject {
  readonly kind: 'HelmRepository';
}

/** A HelmRepository (`source.toolkit.fluxcd.io/v1`): a Helm chart repository, HTTP/S or OCI, that HelmCharts pull from. */
export class HelmRepository extends FluxObject implements IHelmRepository {
  /** References a HelmRepository managed elsewhere. */
  public static fromName(scope: Construct, id: string, name: string, options: FromNameOptions = {}): IHelmRepository {
    return new ImportedFluxObject(scope, id, { apiVersion: API_VERSION.source, kind: 'HelmRepository', name, namespace: options.namespace }) as IHelmRepository;
  }

  declare public readonly kind: 'HelmRepository';

  /** The props, as given. */
  public readonly props: HelmRepositoryProps;

  public constructor(scope: Construct, id: string, props: HelmRepositoryProps) {
    super(scope, id, props, { apiVersion: API_VERSION.source, kind: 'HelmRepository' });
    this.props = props;
  }

  /** The repository type Flux sees: the one given, or `oci` for an oci:// URL. */
  public get repositoryType(): HelmRepositoryType {
    return this.props.type ?? (this.props.url.startsWith('oci://') ? 'oci' : 'default');
  }

  /** @internal */
  protected renderSpec(): object {
    const p = this.props;
    const type = p.type ?? (p.url.startsWith('oci://') ? 'oci' : undefined);
    const spec = {
      url: p.url,
      ...(type ? { type } : {}),
      interval: renderDuration(p.interval ?? '5m'),
      provider: p.provider,
      secretRef: p.secretRef ? { name: p.secretRef.name } : undefined,
      certSecretRef: p.certSecretRef ? { name: p.certSecretRef.name } : undefined,
      passCredentials: p.passCredentials,
      insecure: p.insecure,
      timeout: renderOptionalDuration(p.timeout),
      suspend: p.suspend,
      accessFrom: p.accessFrom ? {
        namespaceSelectors: p.accessFrom.namespaceSelectors.map((s) => ({ matchLabels: s.matchLabels ? { ...s.matchLabels } : undefined })),
      } : undefined,
    };
    return spec;
  }

  /** @internal */
  protected validateProps(c: Checks): void {
    const p = this.props;
    c.url('spec.url', p.url, ['http', 'https', 'oci']);
    c.oneOf('spec.type', p.type, ['default', 'oci']);
    const isOciUrl = p.url.startsWith('oci://');
    if (p.type === 'default' && isOciUrl) {
      c.add(`spec.type "default" does not fit spec.url ${q(p.url)}; an oci:// URL needs type "oci" (or leave type unset)`);
    } else if (p.type === 'oci' && !isOciUrl) {
      c.add(`spec.type "oci" needs an oci:// URL, got spec.url ${q(p.url)}; use oci://<registry>/<path>, or type "default" for an HTTP/S repository`);
    }
    if (this.repositoryType === 'oci' && isOciUrl) checkOciChartRepositoryUrl(c, p.url);
    c.duration('spec.interval', p.interval);
    c.duration('spec.timeout', p.timeout, { hours: false });
    c.oneOf('spec.provider', p.provider, ['generic', 'aws', 'azure', 'gcp']);
    if (this.repositoryType === 'default') {
      if (p.provider !== undefined && p.provider !== 'generic') {
        c.add(`spec.provider ${q(p.provider)} applies to OCI repositories only; use an oci:// URL, or drop it and authenticate with spec.secretRef`);
      }
      if (p.insecure) {
        c.add('spec.insecure applies to OCI repositories only; for a plain HTTP Helm repository use an http:// URL and drop it');
      }
    } else if (p.passCredentials) {
      c.add('spec.passCredentials applies to HTTP/S repositories only (an OCI registry serves its own charts); drop it');
    }
  }
}

/** An OCI Helm repository URL names a registry path; the chart name, version and digest go in the HelmChart. */
function checkOciChartRepositoryUrl(c: Checks, url: string): void {
  const rest = url.slice('oci://'.length);
  const slash = rest.indexOf('/');
  const path = slash >= 0 ? rest.slice(slash + 1) : '';
  if (path.includes('@')) {
    c.add(`spec.url ${q(url)} carries a digest; drop "${path.slice(path.indexOf('@'))}" from the URL: the HelmChart's spec.version selects the chart`);
  } else if (path.includes(':')) {
    c.add(`spec.url ${q(url)} carries a tag; drop "${path.slice(path.indexOf(':'))}" from the URL and set the version in the HelmChart's spec.version`);
  }
}
