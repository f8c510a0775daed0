import { Construct } from 'constructs';
import { API_VERSION, FromNameOptions, SecretReference } from '../core/api.js';
import { FluxDuration, renderDuration, renderOptionalDuration } from '../core/duration.js';
import { FluxObject, FluxObjectProps, IFluxObject, ImportedFluxObject } from '../core/flux-object.js';
import { Checks, q } from '../core/rules.js';

/** The object storage API: `generic` is any S3-compatible store (MinIO and the like). */
export type BucketProvider = 'generic' | 'aws' | 'azure' | 'gcp';

/** A Security Token Service that hands out temporary credentials. */
export interface BucketSts {
  /** `aws` (with Bucket provider `aws`) or `ldap` (with Bucket provider `generic`). */
  readonly provider: 'aws' | 'ldap';
  /** The service's `https://` (or `http://`) endpoint, e.g. `https://sts.amazonaws.com`. */
  readonly endpoint: string;
  /** A Secret with the LDAP `username` and `password`; `ldap` only. @default - none */
  readonly secretRef?: SecretReference;
  /** A Secret with the TLS client certificate and CA for the endpoint; `ldap` only. @default - system roots */
  readonly certSecretRef?: SecretReference;
}

/** Props of a {@link Bucket}. */
export interface BucketProps extends FluxObjectProps {
  /** The bucket (or Azure container) name. */
  readonly bucketName: string;
  /**
   * The storage address: a host without scheme (`s3.amazonaws.com`, `minio.example.com:9000`); with provider
   * `azure`, the account URL (`https://<account>.blob.core.windows.net`).
   */
  readonly endpoint: string;
  /** The storage API and how it authenticates. @default "generic" */
  readonly provider?: BucketProvider;
  /** The bucket's region, when the endpoint needs one. @default - none */
  readonly region?: string;
  /** Fetch only the objects whose keys start with this prefix (generic, aws and gcp). @default - every object */
  readonly prefix?: string;
  /**
   * A Secret with the credentials (`accesskey`/`secretkey`, or the Azure and GCP keys).
   * @default - anonymous access, or the `provider` identity
   */
  readonly secretRef?: SecretReference;
  /** A service account whose workload identity authenticates (providers aws, azure, gcp). @default - the controller's */
  readonly serviceAccountName?: string;
  /** A Secret with the TLS client certificate and CA (`tls.crt`, `tls.key`, `ca.crt`); `generic` only. @default - system roots */
  readonly certSecretRef?: SecretReference;
  /** A Secret with the proxy `address` (and `username`, `password`). @default - no proxy, or the controller's */
  readonly proxySecretRef?: SecretReference;
  /** Temporary credentials from a Security Token Service (providers `aws` and `generic`). @default - none */
  readonly sts?: BucketSts;
  /** Allow plain HTTP to the endpoint. @default false */
  readonly insecure?: boolean;
  /** How often to look for changed objects. @default 5m */
  readonly interval?: FluxDuration;
  /** Timeout of fetch operations; no hours. @default 60s */
  readonly timeout?: FluxDuration;
  /** Objects to leave out of the artifact, in .gitignore format. @default - Flux's default exclusions */
  readonly ignore?: string;
  /** Stop reconciling. @default false */
  readonly suspend?: boolean;
}

/** A Bucket, as other objects may reference it. */
export interface IBucket extends IFluxObject {
  readonly kind: 'Bucket';
}

/** A Bucket (`source.toolkit.fluxcd.io/v1`): the objects of an S3, GCS, Azure Blob or S3-compatible bucket, as an artifact. */
export class Bucket extends FluxObject implements IBucket {
  /** References a Bucket managed elsewhere. */
  public static fromName(scope: Construct, id: string, name: string, options: FromNameOptions = {}): IBucket {
    return new ImportedFluxObject(scope, id, { apiVersion: API_VERSION.source, kind: 'Bucket', name, namespace: options.namespace }) as IBucket;
  }

  declare public readonly kind: 'Bucket';

  /** The props, as given. */
  public readonly props: BucketProps;

  public constructor(scope: Construct, id: string, props: BucketProps) {
    super(scope, id, props, { apiVersion: API_VERSION.source, kind: 'Bucket' });
    this.props = props;
  }

  /** @internal */
  protected renderSpec(): object {
    const p = this.props;
    const spec = {
      bucketName: p.bucketName,
      endpoint: p.endpoint,
      interval: renderDuration(p.interval ?? '5m'),
      provider: p.provider,
      region: p.region,
      prefix: p.prefix,
      secretRef: p.secretRef ? { name: p.secretRef.name } : undefined,
      serviceAccountName: p.serviceAccountName,
      certSecretRef: p.certSecretRef ? { name: p.certSecretRef.name } : undefined,
      proxySecretRef: p.proxySecretRef ? { name: p.proxySecretRef.name } : undefined,
      sts: p.sts ? {
        provider: p.sts.provider,
        endpoint: p.sts.endpoint,
        secretRef: p.sts.secretRef ? { name: p.sts.secretRef.name } : undefined,
        certSecretRef: p.sts.certSecretRef ? { name: p.sts.certSecretRef.name } : undefined,
      } : undefined,
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
    const provider = p.provider ?? 'generic';
    c.oneOf('spec.provider', p.provider, ['generic', 'aws', 'azure', 'gcp']);
    this.validateBucketName(c, provider);
    this.validateEndpoint(c, provider);
    c.duration('spec.interval', p.interval);
    c.duration('spec.timeout', p.timeout, { hours: false });
    if (p.prefix !== undefined && provider === 'azure') {
      c.add(`spec.prefix ${q(p.prefix)} is not supported with provider "azure" (server-side filtering works with generic, aws and gcp); use spec.ignore instead`);
    }
    if (p.certSecretRef && provider !== 'generic') {
      c.add(`spec.certSecretRef is supported with provider "generic" only (got ${q(provider)}); drop it`);
    }
    if (p.serviceAccountName !== undefined) {
      c.dnsName('spec.serviceAccountName', p.serviceAccountName);
      if (provider === 'generic') {
        c.add(`spec.serviceAccountName ${q(p.serviceAccountName)} needs provider "aws", "azure" or "gcp" (workload identity); set the provider or drop it`);
      }
      if (p.secretRef) {
        c.add('spec.secretRef and spec.serviceAccountName are mutually exclusive; authenticate with one of them');
      }
    }
    if (p.sts) this.validateSts(c, p.sts, provider);
  }

  private validateBucketName(c: Checks, provider: BucketProvider): void {
    const name = this.props.bucketName;
    if (name.trim() === '') {
      c.add('spec.bucketName is empty; name the bucket');
    } else if (name.includes('/')) {
      const [bucket, ...rest] = name.split('/');
      c.add(`spec.bucketName ${q(name)} carries a path; use spec.bucketName ${q(bucket)} and spec.prefix ${q(rest.join('/'))}`);
    } else if ((provider === 'aws' || provider === 'azure') && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name)) {
      c.add(`spec.bucketName ${q(name)} is not a valid ${provider === 'aws' ? 'S3 bucket' : 'Azure container'} name: use 3 to 63 lowercase letters, digits, '-'${provider === 'aws' ? " and '.'" : ''}, starting and ending with a letter or digit`);
    } else if (provider === 'azure' && name.includes('.')) {
      c.add(`spec.bucketName ${q(name)} is not a valid Azure container name: use lowercase letters, digits and '-' (no '.')`);
    }
  }

  private validateEndpoint(c: Checks, provider: BucketProvider): void {
    const endpoint = this.props.endpoint;
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(endpoint)?.[1]?.toLowerCase();
    if (endpoint.trim() === '') {
      c.add('spec.endpoint is empty; set the storage host, e.g. "s3.amazonaws.com"');
    } else if (provider === 'azure') {
      c.url('spec.endpoint', endpoint, ['https', 'http']);
    } else if (scheme !== undefined) {
      const host = endpoint.slice(scheme.length + 3).replace(/\/+$/, '');
      const fix = scheme === 'http' ? ' and set spec.insecure: true for plain HTTP' : '';
      c.add(`spec.endpoint ${q(endpoint)} carries a scheme; use the host alone, ${q(host)}${fix}`);
    } else if (/[/\s]/.test(endpoint)) {
      c.add(`spec.endpoint ${q(endpoint)} is not a host; use a host name with an optional port, e.g. "minio.example.com:9000", and put the bucket in spec.bucketName`);
    }
  }

  private validateSts(c: Checks, sts: BucketSts, provider: BucketProvider): void {
    c.oneOf('spec.sts.provider', sts.provider, ['aws', 'ldap']);
    c.url('spec.sts.endpoint', sts.endpoint, ['https', 'http']);
    if (provider !== 'aws' && provider !== 'generic') {
      c.add(`spec.sts is supported with providers "aws" and "generic" only (got ${q(provider)}); drop it`);
    } else {
      const expected = provider === 'aws' ? 'aws' : 'ldap';
      if (sts.provider !== expected) {
        c.add(`spec.sts.provider ${q(sts.provider)} does not fit Bucket provider ${q(provider)}, which supports only ${q(expected)}`);
      }
    }
    if (sts.provider === 'aws') {
      if (sts.secretRef) c.add('spec.sts.secretRef is for the "ldap" STS provider only; drop it with "aws"');
      if (sts.certSecretRef) c.add('spec.sts.certSecretRef is for the "ldap" STS provider only; drop it with "aws"');
    }
  }
}
