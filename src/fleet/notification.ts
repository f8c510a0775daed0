import { Construct } from 'constructs';
import type { ClusterInfo } from './cluster.js';
import { celString, checkGithubRepository, checkHost } from './forge-checks.js';
import { ownImplementations } from './own-implementations.js';
import type { Targets } from './targets.js';
import type { Tenant } from './tenant.js';
import { Checks, q } from '../flux/core/rules.js';
import type { IKustomization } from '../flux/kustomize/kustomization.js';
import { Alert, EventSource, EventSourceKind } from '../flux/notification/alert.js';
import { Provider, ProviderProps } from '../flux/notification/provider.js';

/** Which events an Alert sends: `info` sends every event (progress and success too), `error` sends errors only. */
export type NotificationSeverity = 'info' | 'error';

/**
 * The kinds whose events a chat or webhook notification sends by default, every object of each kind in the Alert's
 * namespace: the reconcilers (Kustomization, HelmRelease) and the sources a fleet pulls from (OCIRepository for
 * artifacts and OCI charts, HelmChart for charts fetched through a HelmRepository), so that a failed pull or a failed
 * signature verification is reported as well as a failed apply.
 */
export const DEFAULT_NOTIFICATION_EVENT_KINDS: readonly EventSourceKind[] = ['Kustomization', 'HelmRelease', 'OCIRepository', 'HelmChart'];

/** The Alert `eventMetadata` keys the fleet sets on every cluster's Alert. */
export const CLUSTER_METADATA_KEYS: readonly string[] = ['cluster', 'environment', 'region'];

/** The Alert `eventMetadata` key the fleet sets, beside {@link CLUSTER_METADATA_KEYS}, on a tenant's Alert: the tenant's name. */
export const TENANT_METADATA_KEY = 'tenant';

/** Options every notification takes. */
export interface NotificationOptions {
  /**
   * The name of the Provider and of the Alert on every cluster, and the notification's {@link Notification.id}: set it
   * to send two notifications of one kind, e.g. `slack-deploys` beside `slack`. A DNS-1123 label.
   * @default - the kind's own id: "slack", "msteams", "webhook", "discord", "googlechat" or "github-status"
   */
  readonly name?: string;
  /**
   * `info` sends every event, `error` sends errors only (`spec.eventSeverity` of the Alert).
   * @default - the severity the fleet passes for the cluster (see {@link NotificationBuildOptions.severity}), else "info"
   */
  readonly severity?: NotificationSeverity;
  /**
   * The objects whose events are sent, e.g. `[EventSource.all('HelmRelease', { namespace: 'apps' })]`.
   * @default - the sources the fleet passes for the cluster, else every Kustomization, HelmRelease, OCIRepository
   * and HelmChart of the Alert's namespace ({@link DEFAULT_NOTIFICATION_EVENT_KINDS})
   */
  readonly eventSources?: EventSource[];
  /**
   * More metadata added to every event, e.g. `{ team: 'platform' }`. The keys `cluster`, `environment` and `region`
   * are the fleet's own (see {@link Notification.build}) and cannot be set here.
   * @default - only the cluster's name, environment and region
   */
  readonly eventMetadata?: Record<string, string>;
}

/** Props of {@link Notification.slack} with a Slack app's bot token: messages go through `chat.postMessage`. */
export interface SlackBotNotificationProps extends NotificationOptions {
  /**
   * The channel the bot posts to: its name (`flux-alerts`) or its ID (`C0123456789`). The bot must have been
   * added to it.
   */
  readonly channel: string;
  /**
   * The Secret, in the namespace of the Provider, holding the bot token (`xoxb-...`) under the key `token`. Only its
   * name is referenced; its content never enters the config repo.
   */
  readonly secretName: string;
}

/** Props of {@link Notification.slack} with an incoming webhook, which posts to the channel it was created for. */
export interface SlackWebhookNotificationProps extends NotificationOptions {
  /** Post through an incoming webhook rather than with a bot token. */
  readonly webhook: true;
  /**
   * The Secret, in the namespace of the Provider, holding the webhook URL (`https://hooks.slack.com/services/...`)
   * under the key `address`. Only its name is referenced.
   */
  readonly secretName: string;
}

/** Props of {@link Notification.slack}: a bot token and a channel, or an incoming webhook. */
export type SlackNotificationProps = SlackBotNotificationProps | SlackWebhookNotificationProps;

/** Props of the notifications whose Secret holds the webhook URL under the key `address`. */
export interface WebhookAddressNotificationProps extends NotificationOptions {
  /**
   * The Secret, in the namespace of the Provider, holding the webhook URL under the key `address` (a webhook URL
   * grants posting to whoever holds it, so it is never written in the Provider). Only its name is referenced.
   */
  readonly secretName: string;
}

/** Props of {@link Notification.webhook}. */
export interface GenericWebhookNotificationProps extends WebhookAddressNotificationProps {
  /**
   * Sign every request: Flux sends the header `X-Signature: sha256=<HMAC of the body>`, keyed with the Secret's
   * `token`, so the receiver can check that the event comes from the cluster (Provider type `generic-hmac`).
   * @default false (Provider type `generic`)
   */
  readonly hmac?: boolean;
}

/** Props of {@link Notification.githubCommitStatus}. */
export interface GithubCommitStatusNotificationProps extends Omit<NotificationOptions, 'severity'> {
  /** The repository whose commits get the statuses: `<owner>/<repo>`, e.g. `acme/fleet`. */
  readonly repository: string;
  /**
   * The Secret, in the namespace of the Provider, holding a token allowed to write commit statuses of the repository
   * under the key `token`, or a GitHub App's `githubAppID`, `githubAppInstallationID` and `githubAppPrivateKey`.
   * Only its name is referenced.
   */
  readonly secretName: string;
  /** The GitHub host: set it for GitHub Enterprise Server, e.g. `github.acme.io`. @default "github.com" */
  readonly host?: string;
}

/**
 * Where and how the fleet sends one notification: which clusters post to it, and, per cluster, the severity and the
 * objects whose events go there (see `Fleet.addNotification`).
 */
export interface NotificationRouting {
  /**
   * The clusters that post to the notification, e.g. `{ environments: [production] }` or `{ regions: ['eu-west-1'] }`.
   * @default - every cluster of the fleet
   */
  readonly targets?: Targets;
  /**
   * The severity on each cluster, e.g. `(cluster) => (cluster.production ? 'error' : 'info')`; the notification's own
   * `severity` wins.
   * @default "info"
   */
  readonly severity?: NotificationSeverity | ((cluster: ClusterInfo<any>) => NotificationSeverity);
  /**
   * The objects whose events are sent on each cluster, e.g. every HelmRelease of another namespace beside the
   * platform's; the notification's own `eventSources` win. On a cluster with tenants, the multi-tenancy lockdown
   * makes notification-controller refuse Alerts watching other namespaces: an entry naming a tenant's namespace
   * goes to that tenant's own Alert (see `tenants`), and one naming a namespace no routed tenant owns fails synth.
   * @default - the notification kind's defaults (objects of `flux-system`)
   */
  readonly eventSources?: EventSource[] | ((cluster: ClusterInfo<any>) => EventSource[]);
  /**
   * Also post the events of tenants' namespaces: `true` for every tenant of each cluster, or a list of tenants.
   *
   * Under the multi-tenancy lockdown of a cluster with tenants, an Alert watches only its own namespace, so each
   * tenant the notification is routed to gets a Provider and an Alert of its own in its namespace (beside the
   * platform's in `flux-system`), written to `notifications.yaml` with the same name, severity and event sources;
   * an event source naming another namespace is left out of a tenant's Alert, and its event metadata carries
   * `tenant: <tenant name>` beside the cluster's name, environment and region. The Provider reads the notification's
   * Secret by name in the tenant's namespace, where it must exist too: the tenant says where it comes from with its
   * `notificationSecret` prop ({@link TenantNotificationSecret}), else synth fails.
   * @default false: only the platform's Alert in `flux-system`
   */
  readonly tenants?: boolean | Tenant[];
}

/** What {@link Notification.build} needs to know of the cluster it builds for. */
export interface NotificationBuildOptions {
  /** The cluster's name: Alert `eventMetadata.cluster`, so that every message says which cluster it is from. */
  readonly clusterName: string;
  /** The cluster's environment, e.g. `production`: Alert `eventMetadata.environment`. */
  readonly environment: string;
  /** The cluster's region, e.g. `eu-west-1`: Alert `eventMetadata.region`. */
  readonly region: string;
  /**
   * The fleet's severity for this cluster (e.g. `error` for production); the notification's own `severity` wins.
   * A commit status notification ignores it: it needs every event.
   * @default "info"
   */
  readonly severity?: NotificationSeverity;
  /**
   * The fleet's event sources for this cluster; the notification's own `eventSources` win. A commit status
   * notification keeps only the Kustomization entries.
   * @default - the notification kind's defaults
   */
  readonly eventSources?: EventSource[];
  /**
   * The namespace of the Provider and the Alert, e.g. a tenant's namespace; the Provider's Secret must exist there.
   * @default - the namespace of `scope`'s Chart
   */
  readonly namespace?: string;
  /**
   * Keep only the event sources that select objects of the Alert's own namespace (naming no namespace, or that one),
   * as the multi-tenancy lockdown requires: notification-controller refuses an Alert watching another namespace.
   * When none is left, the kind's defaults apply.
   * @default false: every event source chosen
   */
  readonly ownNamespaceOnly?: boolean;
  /**
   * The tenant the objects are built for: Alert `eventMetadata.tenant`.
   * @default - none: the platform's Alert, with no tenant key
   */
  readonly tenant?: string;
  /**
   * The cluster's Kustomizations whose events carry the fleet repository's commit: its own sync and those applying
   * its own config artifact (Helm components), whose source has the revision annotation push writes. A commit status
   * notification selects these by default, and never the Kustomizations of component artifacts, whose
   * content-addressed revision (`sha256:<digest>`) notification-controller cannot post a status for.
   * @default - none known: a commit status notification selects every Kustomization of its namespace
   */
  readonly commitSources?: readonly IKustomization[];
}

/** The objects {@link Notification.build} creates for one cluster. */
export interface NotificationObjects {
  /** The Provider: where events go. */
  readonly provider: Provider;
  /** The Alert: which events go there. */
  readonly alert: Alert;
}

/**
 * Where a fleet's clusters report what Flux does: a chat channel, a webhook or Git commit statuses. A notification
 * is declared once for the fleet and built on every cluster as one Provider and one Alert, whose event metadata
 * carries the cluster's name, environment and region, so that each message says which cluster it comes from.
 *
 * Credentials are never written in the config repo: every kind references a Secret by name, which must exist in the
 * Provider's namespace (`flux-system` by default) on every cluster, and in the namespace of every tenant the
 * notification is routed to (see {@link NotificationRouting.tenants}).
 */
export abstract class Notification {
  /**
   * Slack, with a Slack app's bot token (recommended): `Notification.slack({ channel: 'flux-alerts', secretName:
   * 'slack-bot-token' })` posts through `https://slack.com/api/chat.postMessage` with the Secret's `token`. With an
   * incoming webhook instead, `Notification.slack({ webhook: true, secretName: 'slack-webhook' })`: the Secret holds
   * the webhook URL under `address`, and messages go to the channel the webhook was created for.
   */
  public static slack(props: SlackNotificationProps): Notification {
    const label = 'Notification.slack()';
    if (isSlackWebhook(props)) {
      const channel = (props as { channel?: unknown }).channel;
      return new ProviderNotification(props, {
        label,
        id: 'slack',
        provider: () => ({ type: 'slack', secretRef: { name: props.secretName } }),
        check: (c) => {
          if (channel !== undefined) {
            c.add(`${label} channel ${q(channel)} has no effect with an incoming webhook, which posts to the channel it was created for; drop channel, or drop webhook and put a bot token under the key "token" of the Secret`);
          }
        },
      });
    }
    return new ProviderNotification(props, {
      label,
      id: 'slack',
      provider: () => ({ type: 'slack', channel: props.channel, address: SLACK_POST_MESSAGE, secretRef: { name: props.secretName } }),
      check: (c) => {
        if (typeof props.channel !== 'string' || !SLACK_CHANNEL.test(props.channel)) {
          c.add(`${label} channel ${q(props.channel)} is not a Slack channel; use its name (e.g. "flux-alerts") or its ID (e.g. "C0123456789"), without spaces`);
        }
      },
    });
  }

  /**
   * Microsoft Teams: the Secret holds the URL of a Teams workflow webhook (or of a legacy Office 365 connector) under
   * the key `address`; messages go to the channel the webhook was created for.
   */
  public static msteams(props: WebhookAddressNotificationProps): Notification {
    return webhookAddress(props, 'msteams', 'Notification.msteams()');
  }

  /** Discord: the Secret holds the channel's webhook URL under the key `address`. */
  public static discord(props: WebhookAddressNotificationProps): Notification {
    return webhookAddress(props, 'discord', 'Notification.discord()');
  }

  /** Google Chat: the Secret holds the space's webhook URL (with its key and token) under the key `address`. */
  public static googlechat(props: WebhookAddressNotificationProps): Notification {
    return webhookAddress(props, 'googlechat', 'Notification.googlechat()');
  }

  /**
   * Any HTTP endpoint: Flux POSTs each event as JSON to the URL under the key `address` of the Secret, with the
   * Secret's `headers` if any. With `hmac: true` every request is signed with the Secret's `token` (type
   * `generic-hmac`).
   */
  public static webhook(props: GenericWebhookNotificationProps): Notification {
    const type = props.hmac === true ? 'generic-hmac' : 'generic';
    return new ProviderNotification(props, {
      label: 'Notification.webhook()',
      id: 'webhook',
      provider: () => ({ type, secretRef: { name: props.secretName } }),
    });
  }

  /**
   * GitHub commit statuses: each cluster marks the commit it deployed as succeeded or failed, one status per
   * Kustomization and cluster, keyed `kustomization/<name>/<cluster>` (a `commitStatusExpr`, so that statuses say
   * which cluster they come from).
   *
   * Flux documents commit statuses for Kustomization events, whose revision names the commit: on a fleet's cluster
   * the Alert selects, by default, the Kustomizations whose source carries the fleet repository's commit (the
   * cluster's own sync, and the Kustomizations of Helm components, which apply the cluster's own artifact), never
   * the Kustomizations of component artifacts, whose content-addressed revision (`sha256:<digest>`)
   * notification-controller refuses ("failed to extract commit hash"); the fleet's event sources are not used. Built
   * outside a fleet, it selects every Kustomization of its namespace. The Alert's severity is always `info`, since a status turns green only on a success event. With OCI
   * artifacts, Flux reads the commit from the artifact's `org.opencontainers.image.revision` annotation
   * (`<branch>@sha1:<commit>`), which the fleet's artifacts must carry, and `repository` must be the repository of
   * that commit. Other kinds report statuses only when they carry the commit in their own
   * `event.toolkit.fluxcd.io/commit` annotation: list them in `eventSources` only then.
   */
  public static githubCommitStatus(props: GithubCommitStatusNotificationProps): Notification {
    const label = 'Notification.githubCommitStatus()';
    const host = props.host ?? 'github.com';
    return new ProviderNotification(props, {
      label,
      id: 'github-status',
      defaultKinds: ['Kustomization'],
      commitStatus: true,
      provider: (o) => ({
        type: 'github',
        address: `https://${host}/${props.repository}`,
        secretRef: { name: props.secretName },
        commitStatusExpr: `(event.involvedObject.kind + '/' + event.involvedObject.name).lowerAscii() + '/${celString(o.clusterName)}'`,
      }),
      check: (c) => {
        checkGithubRepository(c, label, props.repository);
        if (props.host !== undefined) checkHost(c, label, props.host);
        const severity = (props as { severity?: unknown }).severity;
        if (severity !== undefined) {
          c.add(`${label} severity ${q(severity)} cannot be set: a commit status turns green only on "info" events, so the Alert sends every event; drop severity`);
        }
      },
    });
  }

  /** A DNS-1123 label naming the Provider and the Alert on every cluster: the `name` option, or the kind's id. */
  public abstract readonly id: string;
  /** The name of the Secret the Provider reads, which must exist in the Provider's namespace. */
  public abstract readonly secretName: string;
  /** The notification's own event sources, which win over those the fleet passes. @default - none: the fleet's */
  public abstract readonly eventSources?: readonly EventSource[];

  protected constructor() {}

  /**
   * Creates the Provider and the Alert for one cluster in `scope` (the cluster's Chart, whose namespace they get, or
   * `flux-system`), under a construct with the id `notification-<id>` whose children are `Provider` and `Alert`.
   * The Alert's `eventMetadata` carries `cluster`, `environment` and `region`.
   */
  public abstract build(scope: Construct, options: NotificationBuildOptions): NotificationObjects;

  /**
   * Checks the declaration; returns one message per problem, each naming the bad value and the fix (none when all is
   * well). The objects built are checked at synth with the rules of their kinds as well.
   */
  public abstract validate(): string[];
}

/** What one kind of notification renders and checks. */
interface NotificationKind {
  /** The factory, for messages, e.g. `Notification.slack()`. */
  readonly label: string;
  /** The default id and object name. */
  readonly id: string;
  /** The Provider's props for a cluster. */
  readonly provider: (options: NotificationBuildOptions) => Omit<ProviderProps, 'metadata'>;
  /** The kinds selected when neither the notification nor the fleet lists event sources. @default DEFAULT_NOTIFICATION_EVENT_KINDS */
  readonly defaultKinds?: readonly EventSourceKind[];
  /** A Git commit status: every event is sent, and only Kustomization sources of the fleet are kept. */
  readonly commitStatus?: boolean;
  /** The kind's own checks. */
  readonly check?: (c: Checks) => void;
}

class ProviderNotification extends Notification {
  public readonly id: string;
  public readonly secretName: string;

  private readonly options: NotificationOptions & { readonly secretName: string };
  public readonly eventSources?: readonly EventSource[];
  private readonly eventMetadata?: Readonly<Record<string, string>>;

  public constructor(options: NotificationOptions & { readonly secretName: string }, private readonly kind: NotificationKind) {
    super();
    this.options = options;
    this.id = options.name ?? kind.id;
    this.secretName = options.secretName;
    this.eventSources = options.eventSources ? [...options.eventSources] : undefined;
    this.eventMetadata = options.eventMetadata ? { ...options.eventMetadata } : undefined;
  }

  public build(scope: Construct, options: NotificationBuildOptions): NotificationObjects {
    const root = new Construct(scope, `notification-${this.id}`);
    const metadata = { name: this.id, ...(options.namespace !== undefined ? { namespace: options.namespace } : {}) };
    // The Provider is a function of the cluster's facts, not of the objects built for it (which a synth cache could
    // not give it again).
    const provider = new Provider(root, 'Provider', { metadata, ...this.kind.provider({ ...options, commitSources: undefined }) });
    const extra = Object.entries(this.eventMetadata ?? {}).filter(([key]) => !CLUSTER_METADATA_KEYS.includes(key) && key !== TENANT_METADATA_KEY);
    const alert = new Alert(root, 'Alert', {
      metadata,
      providerRef: provider,
      eventSources: this.eventSourcesFor(options, provider.namespace),
      eventSeverity: this.kind.commitStatus ? 'info' : this.options.severity ?? options.severity ?? 'info',
      eventMetadata: {
        cluster: options.clusterName,
        environment: options.environment,
        region: options.region,
        ...(options.tenant !== undefined ? { [TENANT_METADATA_KEY]: options.tenant } : {}),
        ...Object.fromEntries(extra),
      },
    });
    return { provider, alert };
  }

  public validate(): string[] {
    const c = new Checks();
    const label = this.kind.label;
    c.dnsLabel(`${label} name`, this.options.name);
    c.dnsName(`${label} secretName`, this.options.secretName);
    for (const key of Object.keys(this.eventMetadata ?? {})) {
      if (CLUSTER_METADATA_KEYS.includes(key)) {
        c.add(`${label} eventMetadata key ${q(key)} is set by the fleet on every cluster's Alert (with ${CLUSTER_METADATA_KEYS.map((k) => q(k)).join(', ')}); use another key, e.g. ${q(`${key}-label`)}`);
      } else if (key === TENANT_METADATA_KEY) {
        c.add(`${label} eventMetadata key ${q(key)} is set by the fleet on a tenant's Alert to the tenant's name; use another key, e.g. ${q(`${key}-label`)}`);
      } else if (key.trim() === '') {
        c.add(`${label} eventMetadata has an empty key; name every entry, e.g. "team"`);
      }
    }
    this.kind.check?.(c);
    return c.errors;
  }

  /**
   * The notification's own sources, else for a commit status the Kustomizations that carry the commit, else the
   * fleet's, else the kind's defaults.
   */
  private eventSourcesFor(options: NotificationBuildOptions, namespace: string): Array<EventSource | IKustomization> {
    const watchable = (sources: readonly EventSource[] | undefined) => (options.ownNamespaceOnly
      ? sources?.filter((s) => s.options.namespace === undefined || s.options.namespace === namespace)
      : sources);
    if (this.eventSources) {
      const own = watchable(this.eventSources) ?? [];
      // An empty list given as such is reported by the Alert; one emptied by the lockdown falls back to the defaults.
      if (own.length > 0 || !options.ownNamespaceOnly) return [...own];
      return this.defaultSources();
    }
    if (this.kind.commitStatus && options.commitSources) {
      const carrying = options.commitSources.filter((k) => !options.ownNamespaceOnly || k.namespace === namespace);
      if (carrying.length > 0) return [...carrying];
    }
    const fleet = watchable(this.kind.commitStatus ? options.eventSources?.filter((s) => s.kind === 'Kustomization') : options.eventSources);
    if (fleet && fleet.length > 0) return [...fleet];
    return this.defaultSources();
  }

  private defaultSources(): EventSource[] {
    return (this.kind.defaultKinds ?? DEFAULT_NOTIFICATION_EVENT_KINDS).map((kind) => EventSource.all(kind));
  }
}

const SLACK_POST_MESSAGE = 'https://slack.com/api/chat.postMessage';
/** A channel name or ID: no spaces, at most 80 characters, an optional leading '#'. */
const SLACK_CHANNEL = /^#?[^\s#]{1,80}$/;

function isSlackWebhook(props: SlackNotificationProps): props is SlackWebhookNotificationProps {
  return (props as { webhook?: unknown }).webhook === true;
}

function webhookAddress(props: WebhookAddressNotificationProps, type: 'msteams' | 'discord' | 'googlechat', label: string): Notification {
  return new ProviderNotification(props, { label, id: type, provider: () => ({ type, secretRef: { name: props.secretName } }) });
}

ownImplementations(ProviderNotification);
