import { ApiObject, Chart, JsonPatch } from 'cdk8s';
import { ClusterRole, ConfigMap, Namespace, RoleBinding, ServiceAccount } from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import type { ClusterInfo } from './cluster.js';
import type { PullCredentials } from './pull-credentials.js';
import type { Signing } from './signing.js';
import type { PerCluster } from './source-ref.js';
import { matchesTargets, Targets } from './targets.js';
import { Checks, q } from '../flux/core/rules.js';

/** The label the Flux Operator's multi-tenant fleets (and admission policies) select a tenant's namespace by. */
export const TENANT_LABEL = 'toolkit.fluxcd.io/tenant';

/** Who a {@link TenantBinding} grants its role to, beside or instead of the tenant's service account. */
export interface TenantBinding {
  /** The ClusterRole granted, e.g. `view` or `flux-view`. */
  readonly clusterRole: string;
  /** Groups (as the cluster's authentication names them, e.g. from OIDC) that get the role. @default - none */
  readonly groups?: string[];
  /** Users that get the role. @default - none */
  readonly users?: string[];
  /** Whether the tenant's service account gets the role too. @default - true when no group or user is given */
  readonly serviceAccount?: boolean;
  /**
   * The binding's name, e.g. the name a running cluster already knows it by.
   * @default - `<tenant>-<role>` for a RoleBinding, `tenant-<tenant>-<role>` for a ClusterRoleBinding
   */
  readonly name?: string;
}

/**
 * How the Secret that authenticates to the fleet's registry (`registry.pullSecret`) comes to exist in a tenant's
 * namespace. Kubernetes Secrets cannot be shared across namespaces, and the config repo holds no secret: when a
 * tenant's components pull from a registry with a pull secret, the tenant must say where its copy comes from, else
 * synth fails. A registry reached through workload identity (ECR, ACR, GAR) needs none.
 */
export class TenantPullSecret {
  /**
   * The Secret is put into the namespace by something outside the config repo (a secret store operator, a policy
   * engine generating it, a copy by the cluster's provisioning); the fleet only refers to it by name.
   */
  public static external(): TenantPullSecret {
    return new TenantPullSecret(undefined);
  }

  /**
   * The fleet writes objects that create the Secret in the namespace, e.g. an External Secrets Operator
   * `ExternalSecret` as an `ApiObject`: `build` gets the tenants chart, the tenant's namespace and the Secret's
   * name, and must not put secret values in the objects.
   */
  public static objects(build: (chart: Chart, namespace: string, secretName: string) => void): TenantPullSecret {
    return new TenantPullSecret(build);
  }

  private constructor(
    /** The objects that create the Secret, if the fleet writes them. @internal */
    public readonly _build: ((chart: Chart, namespace: string, secretName: string) => void) | undefined,
  ) {}
}

/**
 * How the Secrets of the notifications routed to a tenant (`addNotification(n, { tenants: true })`) come to exist in
 * its namespace. Each such notification gets a Provider in the tenant's namespace, which reads the notification's
 * Secret (`secretName`) there; Secrets are not shared across namespaces and the config repo holds no secret, so the
 * tenant must say where its copies come from, else synth fails.
 */
export class TenantNotificationSecret {
  /**
   * The Secrets are put into the namespace by something outside the config repo (a secret store operator, a policy
   * engine generating them, the team itself); the fleet only refers to them by name.
   */
  public static external(): TenantNotificationSecret {
    return new TenantNotificationSecret(undefined);
  }

  /**
   * The fleet writes objects that create each Secret in the namespace, e.g. an External Secrets Operator
   * `ExternalSecret` as an `ApiObject`: `build` is called once per Secret name on every cluster where a notification
   * reading it is routed to the tenant, with a scope of its own in the tenants chart (`tenants.yaml`), the tenant's
   * namespace and the Secret's name, and must not put secret values in the objects.
   */
  public static objects(build: (scope: Construct, namespace: string, secretName: string) => void): TenantNotificationSecret {
    return new TenantNotificationSecret(build);
  }

  private constructor(
    /** The objects that create a Secret, if the fleet writes them. @internal */
    public readonly _build: ((scope: Construct, namespace: string, secretName: string) => void) | undefined,
  ) {}
}

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
  /** The name of the tenant's service account, which its components are reconciled as. @default - the tenant's name */
  readonly serviceAccountName?: string;
  /**
   * The name of the RoleBinding granting `clusterRole` to the tenant's service account, e.g. the name a running cluster
   * already knows it by.
   * @default - `<tenant>-reconciler`
   */
  readonly roleBindingName?: string;
  /**
   * Pull secrets of the tenant's namespace that its service account lists (`imagePullSecrets`), so that its sources
   * pulling as the account (`pullCredentials: PullCredentials.serviceAccount(...)`) authenticate with them. Each Secret
   * must exist in the namespace (see `pullSecret` for one the fleet writes what creates).
   * @default - none
   */
  readonly imagePullSecrets?: string[];
  /**
   * Labels of the tenant's namespace, on top of `toolkit.fluxcd.io/tenant: <tenant name>`, e.g. a role label that
   * admission policies select on, or the Pod Security level.
   * @default - the tenant label only
   */
  readonly namespaceLabels?: Record<string, string>;
  /** Annotations of the tenant's namespace. @default - none */
  readonly namespaceAnnotations?: Record<string, string>;
  /** More roles granted inside the tenant's namespace (RoleBindings of ClusterRoles). @default - none */
  readonly roleBindings?: TenantBinding[];
  /**
   * Roles granted cluster-wide (ClusterRoleBindings), e.g. read access to cluster-scoped objects for the team's
   * group. They reach beyond the tenant's namespace: grant them sparingly.
   * @default - none
   */
  readonly clusterRoleBindings?: TenantBinding[];
  /**
   * Where the copy of the registry's pull secret in the tenant's namespace comes from, when the fleet's registry
   * needs one (see {@link TenantPullSecret}).
   * @default - none: a tenant component pulling with a pull secret fails synth
   */
  readonly pullSecret?: TenantPullSecret;
  /**
   * Where the copies of the notifications' Secrets in the tenant's namespace come from, when notifications are routed
   * to the tenant (see {@link TenantNotificationSecret}).
   * @default - none: a notification routed to the tenant fails synth
   */
  readonly notificationSecret?: TenantNotificationSecret;
  /**
   * Who signs the tenant's artifacts (its own repository's workflow, say): the sources of its components verify it.
   * The same on every cluster, or computed from each, e.g. staging verifying the team's main branch and production its
   * release tags.
   * @default - the environment's signing identity
   */
  readonly signing?: PerCluster<Signing>;
  /**
   * How the tenant's sources authenticate when their own source says nothing: a pull secret of its namespace, its
   * service account with `imagePullSecrets`, or workload identity, the same on every cluster or computed from each.
   * @default - the fleet's registry's pull settings for sources in it; anonymous pulls for others
   */
  readonly pullCredentials?: PerCluster<PullCredentials>;
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
    this.serviceAccountName = props.serviceAccountName ?? name;
    this.props = props;
    this.node.addValidation({
      validate: () => {
        const c = new Checks();
        c.dnsLabel('tenant name', name);
        c.dnsLabel('namespace', this.namespace);
        c.dnsName('serviceAccountName', this.serviceAccountName);
        if (props.roleBindingName !== undefined) c.dnsName('roleBindingName', props.roleBindingName);
        for (const secret of props.imagePullSecrets ?? []) c.dnsName('imagePullSecrets entry', secret);
        for (const b of [...props.roleBindings ?? [], ...props.clusterRoleBindings ?? []]) if (b.name !== undefined) c.dnsName('binding name', b.name);
        for (const [key, value] of Object.entries(props.namespaceLabels ?? {})) {
          if (!LABEL_KEY.test(key)) c.add(`namespaceLabels key ${q(key)} is not a label key; use e.g. "acme.io/role"`);
          if (!LABEL_VALUE.test(value)) c.add(`namespaceLabels.${key} ${q(value)} is not a label value: at most 63 letters, digits, '-', '_' or '.'`);
        }
        if (props.namespaceLabels?.[TENANT_LABEL] !== undefined && props.namespaceLabels[TENANT_LABEL] !== name) {
          c.add(`namespaceLabels.${TENANT_LABEL} ${q(props.namespaceLabels[TENANT_LABEL])} differs from the tenant's name; the fleet sets it to ${q(name)}, so drop it`);
        }
        const bindings = [...(props.roleBindings ?? []).map((b) => ['roleBindings', b] as const), ...(props.clusterRoleBindings ?? []).map((b) => ['clusterRoleBindings', b] as const)];
        for (const [field, b] of bindings) {
          if (!b.clusterRole) c.add(`${field} has an entry without clusterRole; name the ClusterRole to grant, e.g. "view"`);
          if (b.serviceAccount === false && !b.groups?.length && !b.users?.length) {
            c.add(`${field} entry for ${q(b.clusterRole)} grants the role to nobody; list groups or users, or drop serviceAccount: false`);
          }
        }
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
  public _build(chart: Chart, runtimeInfo: { readonly name: string; readonly data: Record<string, string> }, pullSecretName?: string): void {
    new Namespace(chart, `${this.name}-namespace`, {
      metadata: {
        name: this.namespace,
        labels: { ...this.props.namespaceLabels, [TENANT_LABEL]: this.name },
        annotations: this.props.namespaceAnnotations,
      },
    });
    new ConfigMap(chart, `${this.name}-runtime-info`, {
      metadata: { name: runtimeInfo.name, namespace: this.namespace },
      data: runtimeInfo.data,
    });
    const account = new ServiceAccount(chart, `${this.name}-account`, {
      metadata: { name: this.serviceAccountName, namespace: this.namespace },
      automountToken: false,
    });
    if (this.props.imagePullSecrets?.length) {
      ApiObject.of(account).addJsonPatch(JsonPatch.add('/imagePullSecrets', this.props.imagePullSecrets.map((name) => ({ name }))));
    }
    const binding = new RoleBinding(chart, `${this.name}-binding`, {
      metadata: { name: this.props.roleBindingName ?? `${this.name}-reconciler`, namespace: this.namespace },
      role: ClusterRole.fromClusterRoleName(chart, `${this.name}-role`, this.props.clusterRole ?? 'cluster-admin'),
    });
    binding.addSubjects(account);
    for (const b of this.props.roleBindings ?? []) {
      new ApiObject(chart, `${this.name}-rolebinding-${b.clusterRole}`, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: b.name ?? `${this.name}-${bindingName(b.clusterRole)}`, namespace: this.namespace },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: b.clusterRole },
        subjects: this.subjectsOf(b),
      });
    }
    for (const b of this.props.clusterRoleBindings ?? []) {
      new ApiObject(chart, `${this.name}-clusterrolebinding-${b.clusterRole}`, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: b.name ?? `tenant-${this.name}-${bindingName(b.clusterRole)}` },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: b.clusterRole },
        subjects: this.subjectsOf(b),
      });
    }
    if (pullSecretName !== undefined) this.props.pullSecret?._build?.(chart, this.namespace, pullSecretName);
  }

  /**
   * Creates, in `chart`, what makes the notification Secret `secretName` exist in the tenant's namespace, when the
   * tenant's `notificationSecret` says the fleet writes it.
   * @internal
   */
  public _buildNotificationSecret(chart: Chart, secretName: string): void {
    const build = this.props.notificationSecret?._build;
    if (build) build(new Construct(chart, `${this.name}-notification-secret-${secretName}`), this.namespace, secretName);
  }

  /** Whether the tenant says where the copies of notification Secrets in its namespace come from. */
  public get providesNotificationSecret(): boolean {
    return this.props.notificationSecret !== undefined;
  }

  /** Whether the tenant says where its copy of the registry's pull secret comes from. */
  public get providesPullSecret(): boolean {
    return this.props.pullSecret !== undefined;
  }

  private subjectsOf(b: TenantBinding): Array<Record<string, string>> {
    const account = b.serviceAccount ?? (!b.groups?.length && !b.users?.length);
    return [
      ...(account ? [{ kind: 'ServiceAccount', name: this.serviceAccountName, namespace: this.namespace }] : []),
      ...(b.groups ?? []).map((name) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name })),
      ...(b.users ?? []).map((name) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name })),
    ];
  }
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** A ClusterRole's name as part of an object name: `flux:view` becomes `flux-view`. */
function bindingName(role: string): string {
  return role.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '');
}
