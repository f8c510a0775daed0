import { Chart } from 'cdk8s';
import { ClusterRole, ConfigMap, Namespace, RoleBinding, ServiceAccount } from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import type { ClusterInfo } from './cluster.js';
import type { Signing } from './signing.js';
import { matchesTargets, Targets } from './targets.js';
import { Checks } from '../flux/core/rules.js';

/** Props of a {@link Tenant}. */
export interface TenantProps {
  /** The namespace the tenant owns; its components are reconciled there. @default - the tenant's name */
  readonly namespace?: string;
  /** The clusters the tenant exists on. @default - every cluster of the fleet */
  readonly targets?: Targets;
  /**
   * The ClusterRole granted to the tenant's service account inside its namespace (through a RoleBinding, so it
   * reaches nothing outside the namespace).
   * @default "cluster-admin" (full control of the tenant's own namespace only, as `flux create tenant` grants)
   */
  readonly clusterRole?: string;
  /**
   * Who signs the tenant's artifacts (its own repository's workflow, say): the sources of its components verify it.
   * @default - the environment's signing identity
   */
  readonly signing?: Signing;
}

/**
 * A team with its namespace, service account and permissions. Its components are reconciled under its service
 * account, and a cluster with any tenant runs Flux with the multi-tenancy lockdown.
 */
export class Tenant extends Construct {
  /** The tenant's name; also the name of its service account. */
  public readonly name: string;
  /** Its namespace. */
  public readonly namespace: string;
  /** The service account its components are reconciled as. */
  public readonly serviceAccountName: string;
  /** The props, as given. */
  public readonly props: TenantProps;

  /** @internal */
  public constructor(scope: Construct, name: string, props: TenantProps = {}) {
    super(scope, name);
    this.name = name;
    this.namespace = props.namespace ?? name;
    this.serviceAccountName = name;
    this.props = props;
    this.node.addValidation({
      validate: () => {
        const c = new Checks();
        c.dnsLabel('tenant name', name);
        c.dnsLabel('namespace', this.namespace);
        if (['flux-system', 'kube-system', 'kube-public', 'default'].includes(this.namespace)) {
          c.add(`namespace "${this.namespace}" is shared with the platform; give the tenant a namespace of its own`);
        }
        return c.errors;
      },
    });
  }

  /** Whether the tenant exists on `cluster`. */
  public appliesTo(cluster: ClusterInfo<any>): boolean {
    return matchesTargets(this.props.targets, cluster);
  }

  /**
   * Creates the tenant's Namespace, ServiceAccount and RoleBinding in `chart`, and a copy of the cluster's runtime
   * facts in its namespace for its components' substitutions (a Kustomization reads ConfigMaps of its own namespace).
   * @internal
   */
  public _build(chart: Chart, runtimeInfo: { readonly name: string; readonly data: Record<string, string> }): void {
    new Namespace(chart, `${this.name}-namespace`, { metadata: { name: this.namespace } });
    new ConfigMap(chart, `${this.name}-runtime-info`, {
      metadata: { name: runtimeInfo.name, namespace: this.namespace },
      data: runtimeInfo.data,
    });
    const account = new ServiceAccount(chart, `${this.name}-account`, {
      metadata: { name: this.serviceAccountName, namespace: this.namespace },
      automountToken: false,
    });
    const binding = new RoleBinding(chart, `${this.name}-binding`, {
      metadata: { name: `${this.name}-reconciler`, namespace: this.namespace },
      role: ClusterRole.fromClusterRoleName(chart, `${this.name}-role`, this.props.clusterRole ?? 'cluster-admin'),
    });
    binding.addSubjects(account);
  }
}
