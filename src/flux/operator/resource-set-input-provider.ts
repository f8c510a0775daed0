import { Construct } from 'constructs';
import type { IResourceSetInputProvider } from './resource-set.js';
import { API_VERSION, FromNameOptions, LabelSelectorRequirement, SecretReference } from '../core/api.js';
import { FluxDuration, renderOptionalDuration } from '../core/duration.js';
import { FluxObject, FluxObjectProps, ImportedFluxObject } from '../core/flux-object.js';
import { Checks, q } from '../core/rules.js';

/** Where a ResourceSetInputProvider reads its inputs from. */
export type InputProviderType =
  | 'Static'
  | 'GitHubBranch' | 'GitHubTag' | 'GitHubPullRequest'
  | 'GitLabBranch' | 'GitLabTag' | 'GitLabMergeRequest' | 'GitLabEnvironment'
  | 'AzureDevOpsBranch' | 'AzureDevOpsTag' | 'AzureDevOpsPullRequest'
  | 'AWSCodeCommitBranch' | 'AWSCodeCommitTag' | 'AWSCodeCommitPullRequest'
  | 'GiteaBranch' | 'GiteaTag' | 'GiteaPullRequest'
  | 'OCIArtifactTag' | 'ACRArtifactTag' | 'ECRArtifactTag' | 'GARArtifactTag'
  | 'ExternalService'
  | 'ExternalArtifact';

/** The types in {@link InputProviderType}. */
export const INPUT_PROVIDER_TYPES: readonly InputProviderType[] = [
  'Static',
  'GitHubBranch', 'GitHubTag', 'GitHubPullRequest',
  'GitLabBranch', 'GitLabTag', 'GitLabMergeRequest', 'GitLabEnvironment',
  'AzureDevOpsBranch', 'AzureDevOpsTag', 'AzureDevOpsPullRequest',
  'AWSCodeCommitBranch', 'AWSCodeCommitTag', 'AWSCodeCommitPullRequest',
  'GiteaBranch', 'GiteaTag', 'GiteaPullRequest',
  'OCIArtifactTag', 'ACRArtifactTag', 'ECRArtifactTag', 'GARArtifactTag',
  'ExternalService',
  'ExternalArtifact',
];

/** Which of the provider's results become input sets. Regular expressions are Go's (RE2). */
export interface InputProviderFilter {
  /** Branches to keep, a regular expression. @default - every branch */
  readonly includeBranch?: string;
  /** Branches to leave out, a regular expression. @default - none */
  readonly excludeBranch?: string;
  /** Tags to keep, a regular expression. @default - every tag */
  readonly includeTag?: string;
  /** Tags to leave out, a regular expression. @default - none */
  readonly excludeTag?: string;
  /** Environments to keep (GitLab), a regular expression. @default - every environment */
  readonly includeEnvironment?: string;
  /** Environments to leave out (GitLab), a regular expression. @default - none */
  readonly excludeEnvironment?: string;
  /** Labels a pull or merge request must carry. @default - any labels */
  readonly labels?: string[];
  /** The most input sets kept. @default 100 */
  readonly limit?: number;
  /** A semver range tags must match; matching tags are sorted by version. @default - every tag, sorted in reverse alphabetical order */
  readonly semver?: string;
}

/** When the provider runs: a cron schedule, and how long after each tick it may run. */
export interface InputProviderSchedule {
  /** The cron expression, e.g. `0 8 * * 1-5`. */
  readonly cron: string;
  /** The time zone of the cron expression, e.g. `Europe/Paris`. @default "UTC" */
  readonly timeZone?: string;
  /** How long after each tick the provider may still run. @default - 0s: only at the tick */
  readonly window?: FluxDuration;
}

/** ExternalArtifacts an `ExternalArtifact` provider takes its inputs from: one by name, or those whose labels match. */
export interface ExternalArtifactSelector {
  /** One ExternalArtifact, by name (not with labels). @default - those matching the labels */
  readonly name?: string;
  /** Where to look: a namespace, or `*` for every one. @default - the provider's namespace */
  readonly namespace?: string;
  /** Labels the ExternalArtifacts must carry. @default - any labels */
  readonly matchLabels?: Record<string, string>;
  /** Label requirements the ExternalArtifacts must meet. @default - none */
  readonly matchExpressions?: LabelSelectorRequirement[];
}

/** Props of a {@link ResourceSetInputProvider}. */
export interface ResourceSetInputProviderProps extends FluxObjectProps {
  /** Where the inputs come from. */
  readonly type: InputProviderType;
  /**
   * The repository (Git providers), OCI repository (`oci://`, artifact tag providers) or HTTPS endpoint
   * (`ExternalService`) to read; none for `Static` and `ExternalArtifact`.
   * @default - none
   */
  readonly url?: string;
  /**
   * The Secret with credentials: `username` and `password` (a read-only token) for Git providers, an image pull
   * Secret for OCI registries.
   * @default - anonymous, or the workload identity of `serviceAccountName`
   */
  readonly secretRef?: SecretReference;
  /** A Secret with `ca.crt` (and `tls.crt`, `tls.key` for client certificates) for self-signed servers. @default - system roots */
  readonly certSecretRef?: SecretReference;
  /** The service account whose workload identity authenticates to AWS, Azure or GCP. @default - the operator's */
  readonly serviceAccountName?: string;
  /** Allow plain HTTP, for `ExternalService` and `OCIArtifactTag`. @default false */
  readonly insecure?: boolean;
  /** Values of inputs the provider's results lack. @default - none */
  readonly defaultValues?: Record<string, unknown>;
  /** Which results become input sets. @default - every result, at most 100 */
  readonly filter?: InputProviderFilter;
  /**
   * Labels that make the provider keep its previous inputs: a result carrying any of them is skipped (`!label`: one
   * lacking it).
   * @default - nothing skipped
   */
  readonly skipLabels?: string[];
  /** When the provider runs. @default - at every reconciliation */
  readonly schedule?: InputProviderSchedule[];
  /** The ExternalArtifacts to read, for type `ExternalArtifact` (and no other). @default - none */
  readonly selectors?: ExternalArtifactSelector[];
}

/**
 * A ResourceSetInputProvider (`fluxcd.controlplane.io/v1`, Flux Operator): exports input sets (a Git repository's
 * branches, tags or pull requests, an OCI repository's tags, an external service's answer, static values) for
 * ResourceSets to generate objects from, through `InputsFrom.provider(...)`.
 */
export class ResourceSetInputProvider extends FluxObject implements IResourceSetInputProvider {
  /** References a ResourceSetInputProvider managed elsewhere. */
  public static fromName(scope: Construct, id: string, name: string, options: FromNameOptions = {}): IResourceSetInputProvider {
    return new ImportedFluxObject(scope, id, { apiVersion: API_VERSION.operator, kind: 'ResourceSetInputProvider', name, namespace: options.namespace }) as IResourceSetInputProvider;
  }

  declare public readonly kind: 'ResourceSetInputProvider';

  /** The props, as given. */
  public readonly props: ResourceSetInputProviderProps;

  public constructor(scope: Construct, id: string, props: ResourceSetInputProviderProps) {
    super(scope, id, props, { apiVersion: API_VERSION.operator, kind: 'ResourceSetInputProvider' });
    this.props = props;
  }

  /** @internal */
  protected renderSpec(): object {
    const p = this.props;
    return {
      type: p.type,
      url: p.url,
      secretRef: p.secretRef ? { name: p.secretRef.name } : undefined,
      certSecretRef: p.certSecretRef ? { name: p.certSecretRef.name } : undefined,
      serviceAccountName: p.serviceAccountName,
      insecure: p.insecure,
      defaultValues: p.defaultValues,
      filter: p.filter ? { ...p.filter, labels: p.filter.labels ? [...p.filter.labels] : undefined } : undefined,
      skip: p.skipLabels ? { labels: [...p.skipLabels] } : undefined,
      schedule: p.schedule?.map((s) => ({ cron: s.cron, timeZone: s.timeZone, window: renderOptionalDuration(s.window) })),
      selectors: p.selectors?.map((s) => ({
        name: s.name,
        namespace: s.namespace,
        matchLabels: s.matchLabels ? { ...s.matchLabels } : undefined,
        matchExpressions: s.matchExpressions?.map((e) => ({ key: e.key, operator: e.operator, values: e.values ? [...e.values] : undefined })),
      })),
    };
  }

  /** @internal */
  protected validateProps(c: Checks): void {
    const p = this.props;
    c.oneOf('spec.type', p.type, INPUT_PROVIDER_TYPES);
    const f = p.filter;
    for (const key of ['includeBranch', 'excludeBranch', 'includeTag', 'excludeTag', 'includeEnvironment', 'excludeEnvironment'] as const) {
      c.regex(`spec.filter.${key}`, f?.[key]);
    }
    c.semverRange('spec.filter.semver', f?.semver);
    if (f?.limit !== undefined && (!Number.isInteger(f.limit) || f.limit < 1 || f.limit > 10000)) {
      c.add(`spec.filter.limit ${q(f.limit)} must be a whole number from 1 to 10000`);
    }
    p.schedule?.forEach((s, i) => {
      c.duration(`spec.schedule[${i}].window`, s.window);
      if (s.cron.trim().split(/\s+/).length !== 5 && !s.cron.startsWith('@')) {
        c.add(`spec.schedule[${i}].cron ${q(s.cron)} is not a cron expression; use five fields, e.g. "0 8 * * 1-5", or a macro such as "@daily"`);
      }
    });
  }
}
