import { Construct } from 'constructs';
import { celString, checkGithubRepository, checkHost } from './forge-checks.js';
import { Checks, q } from '../flux/core/rules.js';
import type { IKustomization } from '../flux/kustomize/kustomization.js';
import { Alert } from '../flux/notification/alert.js';
import { Provider, type ProviderType } from '../flux/notification/provider.js';

/**
 * Where one cluster's report can be read, as `release.json` records it for the readers (`flux-fleet status`, the
 * gated promotion): the kind of source, and what identifies this cluster's report in it. A reader registered for
 * `type` knows the other fields.
 */
export interface HealthReportTarget {
  /**
   * The kind of source, e.g. `github-commit-status` or `gitlab-commit-status`; a reader for it must be registered
   * in delivery.
   */
  readonly type: string;
  /** The forge's host, e.g. `github.com` or `gitlab.acme.io`. */
  readonly host: string;
  /** The repository (GitHub `<owner>/<repo>`) or project path (GitLab `<group>/<project>`) the statuses go on. */
  readonly repository: string;
  /** The name the cluster's reports carry there, constant per cluster, e.g. `flux-fleet/prod-eu-1`. */
  readonly context: string;
}

/** What {@link HealthReport.build} needs to know of the cluster it builds for. */
export interface HealthReportBuildOptions {
  /** The cluster's name: its report's context, and Alert `eventMetadata.cluster`. */
  readonly clusterName: string;
  /** The cluster's environment: Alert `eventMetadata.environment`. */
  readonly environment: string;
  /** The cluster's region: Alert `eventMetadata.region`. */
  readonly region: string;
  /**
   * The Kustomization whose success means "this cluster runs the revision": the sync of the cluster's own config
   * artifact, whose source carries the revision annotation push writes, and whose readiness includes the cluster's
   * components through its health checks.
   */
  readonly sync: IKustomization;
}

/** The objects {@link HealthReport.build} creates on one cluster. */
export interface HealthReportObjects {
  /** The Provider: where the cluster reports. */
  readonly provider: Provider;
  /** The Alert: the events of the cluster's sync, sent to the Provider. */
  readonly alert: Alert;
}

/** Props every commit-status report takes. */
export interface CommitStatusReportProps {
  /**
   * The Secret, in `flux-system` on every cluster, holding a token allowed to write commit statuses under the key
   * `token` (for GitHub, a GitHub App's `githubAppID`, `githubAppInstallationID` and `githubAppPrivateKey` work too).
   * Only its name is written; its content never enters the config repo.
   */
  readonly tokenSecret: string;
  /**
   * The first part of every cluster's status name: statuses are named `<contextPrefix>/<cluster>`.
   * @default "flux-fleet"
   */
  readonly contextPrefix?: string;
}

/** Props of {@link HealthReport.githubCommitStatus}. */
export interface GithubHealthReportProps extends CommitStatusReportProps {
  /** The fleet's repository, whose commits the clusters run: `<owner>/<repo>`, e.g. `acme/fleet`. */
  readonly repository: string;
  /** The GitHub host: set it for GitHub Enterprise Server, e.g. `github.acme.io`. @default "github.com" */
  readonly host?: string;
}

/** Props of {@link HealthReport.gitlabCommitStatus}. */
export interface GitlabHealthReportProps extends CommitStatusReportProps {
  /** The fleet's project, whose commits the clusters run: its path, e.g. `acme/platform/fleet`. */
  readonly project: string;
  /** The GitLab host: set it for a self-managed GitLab, e.g. `gitlab.acme.io`. @default "gitlab.com" */
  readonly host?: string;
}

/** The name of the Provider and the Alert a report writes on every cluster, in `flux-system`. */
export const HEALTH_REPORT_NAME = 'flux-fleet-health';

/** The oldest Flux minor whose notification-controller sends failures to a forge (v2.9): older ones report success only. */
export const HEALTH_REPORT_MIN_FLUX = '2.9';

/**
 * Where the clusters of a fleet (or of an environment) report whether they run a revision and are healthy on it,
 * so that CI reads the fleet's state with the token it already holds and no cluster credentials.
 *
 * A commit-status report writes, on every cluster, a Provider posting commit statuses on the fleet's repository under
 * a name constant per cluster (`flux-fleet/<cluster>`, through `commitStatusExpr`), and an Alert sending it the events
 * of the cluster's own sync Kustomization alone. That sync applies the cluster's config artifact, whose
 * `org.opencontainers.image.revision` annotation (`<branch>@sha1:<commit>`, written by `flux-fleet push`) gives the
 * commit the status goes on, and the fleet makes its readiness wait for every component of the cluster (health
 * checks): its success event, sent only when a reconcile ends Ready, means "this cluster applied that commit and its
 * components are ready"; a failed reconcile or health check posts a failure (Flux 2.9 and newer). Components' own
 * Kustomizations are not selected: their content-addressed artifacts carry no commit, and notification-controller
 * would refuse their events.
 *
 * Each kind of source is a factory; a reader of the same `type` is registered in delivery (`src/delivery/health/`).
 */
export abstract class HealthReport {
  /**
   * GitHub commit statuses: each cluster posts `success` or `failure` on the commit it runs, as the status
   * `flux-fleet/<cluster>` of `repository` (Provider type `github`).
   */
  public static githubCommitStatus(props: GithubHealthReportProps): HealthReport {
    return new CommitStatusReport({
      label: 'HealthReport.githubCommitStatus()',
      type: 'github-commit-status',
      providerType: 'github',
      host: props.host ?? 'github.com',
      repository: props.repository,
      props,
      check: (c, label) => {
        checkGithubRepository(c, label, props.repository);
        if (props.host !== undefined) checkHost(c, label, props.host);
      },
    });
  }

  /**
   * GitLab commit statuses: each cluster posts `success` or `failed` on the commit it runs, as the status
   * `flux-fleet/<cluster>` of `project` (Provider type `gitlab`).
   */
  public static gitlabCommitStatus(props: GitlabHealthReportProps): HealthReport {
    return new CommitStatusReport({
      label: 'HealthReport.gitlabCommitStatus()',
      type: 'gitlab-commit-status',
      providerType: 'gitlab',
      host: props.host ?? 'gitlab.com',
      repository: props.project,
      props,
      check: (c, label) => {
        checkGitlabProject(c, label, props.project);
        if (props.host !== undefined) checkHost(c, label, props.host);
      },
    });
  }

  /** The kind of source, e.g. `github-commit-status`: the `type` of every {@link HealthReportTarget} it gives. */
  public abstract readonly type: string;

  protected constructor() {}

  /** Where `clusterName`'s report is read. */
  public abstract targetOf(clusterName: string): HealthReportTarget;

  /**
   * Creates the objects that make one cluster report, in `scope` (a chart in `flux-system`), under a construct with
   * the id `health-report`.
   */
  public abstract build(scope: Construct, options: HealthReportBuildOptions): HealthReportObjects;

  /** Checks the declaration; one message per problem, each naming the bad value and the fix. */
  public abstract validate(): string[];
}

interface CommitStatusKind {
  readonly label: string;
  readonly type: string;
  readonly providerType: ProviderType;
  readonly host: string;
  readonly repository: string;
  readonly props: CommitStatusReportProps;
  readonly check: (c: Checks, label: string) => void;
}

class CommitStatusReport extends HealthReport {
  public readonly type: string;

  public constructor(private readonly kind: CommitStatusKind) {
    super();
    this.type = kind.type;
  }

  public targetOf(clusterName: string): HealthReportTarget {
    return {
      type: this.type,
      host: this.kind.host,
      repository: this.kind.repository,
      context: `${this.kind.props.contextPrefix ?? 'flux-fleet'}/${clusterName}`,
    };
  }

  public build(scope: Construct, options: HealthReportBuildOptions): HealthReportObjects {
    const root = new Construct(scope, 'health-report');
    const metadata = { name: HEALTH_REPORT_NAME, namespace: 'flux-system' };
    const provider = new Provider(root, 'Provider', {
      metadata,
      type: this.kind.providerType,
      address: `https://${this.kind.host}/${this.kind.repository}`,
      secretRef: { name: this.kind.props.tokenSecret },
      // A constant per cluster: a reader asks "has cluster X applied commit R" by this name alone.
      commitStatusExpr: `'${celString(this.targetOf(options.clusterName).context)}'`,
    });
    const alert = new Alert(root, 'Alert', {
      metadata,
      providerRef: provider,
      eventSources: [options.sync],
      // A status turns green only on an info (success) event, and red on an error one: both are needed.
      eventSeverity: 'info',
      eventMetadata: { cluster: options.clusterName, environment: options.environment, region: options.region },
    });
    return { provider, alert };
  }

  public validate(): string[] {
    const c = new Checks();
    const label = this.kind.label;
    c.dnsName(`${label} tokenSecret`, this.kind.props.tokenSecret);
    this.kind.check(c, label);
    const prefix = this.kind.props.contextPrefix;
    if (prefix !== undefined && !CONTEXT_PREFIX.test(prefix)) {
      c.add(`${label} contextPrefix ${q(prefix)} is not a status name prefix; use letters, digits, '.', '_', '-' and '/', e.g. "flux-fleet"`);
    }
    return c.errors;
  }
}

const CONTEXT_PREFIX = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;
const GITLAB_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

function checkGitlabProject(c: Checks, label: string, project: string): void {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(project) || /^[^@/]+@/.test(project)) {
    c.add(`${label} project ${q(project)} is a URL; give the project's path alone, e.g. "acme/fleet" (and set host for a self-managed GitLab)`);
    return;
  }
  if (project.endsWith('.git')) {
    c.add(`${label} project ${q(project)} ends with ".git"; give its path without it, e.g. ${q(project.slice(0, -'.git'.length))}`);
    return;
  }
  const segments = project.split('/');
  if (segments.length < 2 || !segments.every((s) => GITLAB_SEGMENT.test(s) && !s.endsWith('.'))) {
    c.add(`${label} project ${q(project)} is not a project path "<group>/<project>" (subgroups allowed); use e.g. "acme/fleet" or "acme/platform/fleet"`);
  }
}
