import { Checks, q } from '../flux/core/rules.js';
import type { OciProvider } from '../flux/source/oci-repository.js';

/** The OCIRepository fields that say how source-controller authenticates a pull. */
export interface PullCredentialFields {
  /** `spec.provider`: a cloud whose workload identity authenticates, or `generic`. @default - generic */
  readonly provider?: OciProvider;
  /** `spec.secretRef`: a `kubernetes.io/dockerconfigjson` Secret in the source's namespace. @default - none */
  readonly secretRef?: { readonly name: string };
  /**
   * `spec.serviceAccountName`: a service account of the source's namespace, whose `imagePullSecrets` source-controller
   * reads (with a cloud provider, whose workload identity it takes).
   * @default - none
   */
  readonly serviceAccountName?: string;
}

/**
 * How a cluster authenticates when it pulls one source: a pull secret, a service account with `imagePullSecrets`, the
 * cloud's workload identity, or nothing (a public artifact). Set it on an artifact or chart source, or on a tenant for
 * all of its sources, as a value or as a function of the cluster (`(c) => c.production ? ... : ...`).
 */
export class PullCredentials {
  /** A `kubernetes.io/dockerconfigjson` Secret in the source's namespace (`spec.secretRef`); only its name is written. */
  public static secret(name: string): PullCredentials {
    return new PullCredentials({ provider: 'generic', secretRef: { name } }, `PullCredentials.secret(${q(name)})`);
  }

  /**
   * A service account of the source's namespace whose `imagePullSecrets` source-controller reads
   * (`spec.serviceAccountName`), e.g. a tenant's own account (see `imagePullSecrets` on the tenant).
   */
  public static serviceAccount(name: string): PullCredentials {
    return new PullCredentials({ provider: 'generic', serviceAccountName: name }, `PullCredentials.serviceAccount(${q(name)})`);
  }

  /**
   * The cloud's workload identity (`spec.provider`: `aws`, `azure` or `gcp`): the controller's own, or, with
   * `serviceAccountName`, that of a service account of the source's namespace (object-level workload identity, which
   * the cluster's Flux must have turned on).
   */
  public static workloadIdentity(provider: 'aws' | 'azure' | 'gcp', options: { readonly serviceAccountName?: string } = {}): PullCredentials {
    const account = options.serviceAccountName;
    return new PullCredentials({ provider, ...(account !== undefined ? { serviceAccountName: account } : {}) },
      `PullCredentials.workloadIdentity(${q(provider)}${account !== undefined ? `, { serviceAccountName: ${q(account)} }` : ''})`);
  }

  /** No credentials: the artifact is public. */
  public static anonymous(): PullCredentials {
    return new PullCredentials({}, 'PullCredentials.anonymous()');
  }

  private constructor(
    /** The OCIRepository fields these credentials set. */
    public readonly fields: PullCredentialFields,
    private readonly label: string,
  ) {}

  /** Checks the names; returns one message per problem. */
  public validate(): string[] {
    const c = new Checks();
    if (this.fields.secretRef) c.dnsName(`${this.label} name`, this.fields.secretRef.name);
    if (this.fields.serviceAccountName !== undefined) c.dnsName(`${this.label} service account name`, this.fields.serviceAccountName);
    return c.errors;
  }
}
