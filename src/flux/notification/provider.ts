import { Construct } from 'constructs';
import { FromNameOptions, SecretReference } from '../core/api.js';
import { FluxDuration, renderOptionalDuration } from '../core/duration.js';
import { FluxObject, FluxObjectProps, FluxObjectType, IFluxObject, ImportedFluxObject } from '../core/flux-object.js';
import { notificationApiVersion } from '../core/flux-version.js';
import { fluxMinorAt } from '../core/object-index.js';
import { Checks, q } from '../core/rules.js';

/** The kinds of Provider Flux v2.9 and v2.10 support: chat and incident tools, webhooks, and Git commit status or comments. */
export type ProviderType =
  | 'slack' | 'discord' | 'msteams' | 'rocket' | 'googlechat' | 'webex' | 'telegram' | 'lark' | 'matrix' | 'zulip'
  | 'generic' | 'generic-hmac'
  | 'github' | 'gitlab' | 'gitea' | 'bitbucketserver' | 'bitbucket' | 'azuredevops'
  | 'githubdispatch' | 'githubpullrequestcomment' | 'gitlabmergerequestcomment' | 'giteapullrequestcomment'
  | 'googlepubsub' | 'azureeventhub' | 'nats'
  | 'sentry' | 'opsgenie' | 'alertmanager' | 'grafana' | 'pagerduty' | 'datadog' | 'otel';

/** Props of a {@link Provider}. */
export interface ProviderProps extends FluxObjectProps {
  /** Where events go, and how they are encoded. */
  readonly type: ProviderType;
  /**
   * The endpoint: an http(s) URL for most types (the repository URL for Git types), a GCP project ID for
   * `googlepubsub`, an Event Hub name for `azureeventhub`, a `nats://` URL for `nats`. An address that carries
   * a secret (a webhook URL with a token, credentials) must go under the key `address` of the Secret named by
   * `secretRef` instead: it is refused here.
   * @default - the `address` key of the `secretRef` Secret
   */
  readonly address?: string;
  /** The channel, room, topic or subject to post to (its meaning depends on the type). @default - the address's own */
  readonly channel?: string;
  /** The name events are posted under. @default - the reporting controller's name */
  readonly username?: string;
  /**
   * The Secret with the credentials: `token`, and any of `address`, `username`, `password`, `headers`.
   * @default - no credentials
   */
  readonly secretRef?: SecretReference;
  /** A Secret with the TLS CA (`ca.crt`) and, for mTLS, the client certificate (`tls.crt`, `tls.key`). @default - system roots */
  readonly certSecretRef?: SecretReference;
  /**
   * A Secret with the proxy `address` (and optional `username`, `password`). It replaces the deprecated
   * `spec.proxy`, which is not modelled.
   * @default - no proxy
   */
  readonly proxySecretRef?: SecretReference;
  /**
   * A service account whose workload identity authenticates to the cloud (`azureeventhub`, `azuredevops`,
   * `googlepubsub` only; needs the ObjectLevelWorkloadIdentity feature gate).
   * @default - the controller's identity
   */
  readonly serviceAccountName?: string;
  /** Timeout of a request to the provider; no hours. @default 15s */
  readonly timeout?: FluxDuration;
  /**
   * A CEL expression (over `event`, `provider` and `alert`) giving the commit status key; Git commit status types
   * only (`github`, `gitlab`, `gitea`, `bitbucketserver`, `bitbucket`, `azuredevops`).
   * @default - the key Flux derives from the event's object
   */
  readonly commitStatusExpr?: string;
  /** Stop sending events. @default false */
  readonly suspend?: boolean;
}

/** A Provider, as other objects may reference it. */
export interface IProvider extends IFluxObject {
  readonly kind: 'Provider';
}

const PROVIDER_TYPES: readonly ProviderType[] = [
  'slack', 'discord', 'msteams', 'rocket', 'googlechat', 'webex', 'telegram', 'lark', 'matrix', 'zulip',
  'generic', 'generic-hmac',
  'github', 'gitlab', 'gitea', 'bitbucketserver', 'bitbucket', 'azuredevops',
  'githubdispatch', 'githubpullrequestcomment', 'gitlabmergerequestcomment', 'giteapullrequestcomment',
  'googlepubsub', 'azureeventhub', 'nats',
  'sentry', 'opsgenie', 'alertmanager', 'grafana', 'pagerduty', 'datadog', 'otel',
];
const COMMIT_STATUS_TYPES = ['github', 'gitlab', 'gitea', 'bitbucketserver', 'bitbucket', 'azuredevops'];
const WORKLOAD_IDENTITY_TYPES = ['azureeventhub', 'azuredevops', 'googlepubsub'];
/** Types whose address is not a URL. */
const NON_URL_TYPES = ['googlepubsub', 'azureeventhub'];

/**
 * A Provider (`notification.toolkit.fluxcd.io/v1beta3` on Flux 2.9, `/v1` on Flux 2.10: the `fluxVersion` of its
 * ClusterScope decides): where Alerts send Flux events.
 */
export class Provider extends FluxObject implements IProvider {
  /** References a Provider managed elsewhere. */
  public static fromName(scope: Construct, id: string, name: string, options: FromNameOptions = {}): IProvider {
    return new ImportedFluxObject(scope, id, { apiVersion: notificationApiVersion(fluxMinorAt(scope)), kind: 'Provider', name, namespace: options.namespace }) as IProvider;
  }

  declare public readonly kind: 'Provider';

  /** The props, as given. */
  public readonly props: ProviderProps;

  public constructor(scope: Construct, id: string, props: ProviderProps) {
    super(scope, id, props, providerTypeAt(scope));
    this.props = props;
  }

  /** @internal */
  protected renderSpec(): object {
    const p = this.props;
    const spec = {
      type: p.type,
      address: p.address,
      channel: p.channel,
      username: p.username,
      secretRef: p.secretRef ? { name: p.secretRef.name } : undefined,
      certSecretRef: p.certSecretRef ? { name: p.certSecretRef.name } : undefined,
      proxySecretRef: p.proxySecretRef ? { name: p.proxySecretRef.name } : undefined,
      serviceAccountName: p.serviceAccountName,
      timeout: renderOptionalDuration(p.timeout),
      commitStatusExpr: p.commitStatusExpr,
      suspend: p.suspend,
    };
    return spec;
  }

  /** @internal */
  protected validateProps(c: Checks): void {
    const p = this.props;
    c.oneOf('spec.type', p.type, PROVIDER_TYPES);
    c.duration('spec.timeout', p.timeout, { hours: false });
    if (p.address !== undefined) {
      const secret = inlineSecret(p.address);
      if (secret) {
        c.add(`spec.address ${q(redact(p.address))} ${secret}: never inline it; put the address under the key "address" of a Secret and reference that Secret with secretRef`);
      } else if (p.type === 'nats') {
        c.url('spec.address', p.address, ['nats', 'tls', 'ws', 'wss']);
      } else if (!NON_URL_TYPES.includes(p.type)) {
        c.url('spec.address', p.address, ['http', 'https']);
      } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p.address)) {
        c.add(`spec.address ${q(redact(p.address))} is a URL, but type ${q(p.type)} takes ${p.type === 'googlepubsub' ? 'a GCP project ID' : 'an Event Hub name'}; put a connection string in the Secret named by secretRef`);
      }
    } else if (!p.secretRef) {
      c.add('spec.address is not set and there is no spec.secretRef to carry it; set address, or put it under the key "address" of a Secret referenced by secretRef');
    }
    if (p.commitStatusExpr !== undefined && !COMMIT_STATUS_TYPES.includes(p.type)) {
      c.add(`spec.commitStatusExpr is set with type ${q(p.type)}; it applies to ${COMMIT_STATUS_TYPES.map((t) => q(t)).join(', ')} only, so drop it`);
    }
    if (p.serviceAccountName !== undefined) {
      c.dnsName('spec.serviceAccountName', p.serviceAccountName);
      if (!WORKLOAD_IDENTITY_TYPES.includes(p.type)) {
        c.add(`spec.serviceAccountName is set with type ${q(p.type)}; workload identity applies to ${WORKLOAD_IDENTITY_TYPES.map((t) => q(t)).join(', ')} only, so drop it and use secretRef`);
      }
    }
  }
}

/**
 * Why an address carries a secret, or undefined when it does not: credentials in the URL, a token in its query,
 * or a webhook URL whose path is the token (Slack, Microsoft Teams, Discord, Google Chat, Lark).
 */
function inlineSecret(address: string): string | undefined {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return undefined;
  }
  if (url.username || url.password) return 'carries credentials (user:password@)';
  const host = url.hostname.toLowerCase();
  const path = url.pathname;
  if (host === 'hooks.slack.com') return 'is a Slack incoming webhook URL, whose path is its token';
  if (host.endsWith('.webhook.office.com') || host.endsWith('.logic.azure.com') || host.endsWith('.powerplatform.com') || host.endsWith('.powerautomate.com')) {
    return 'is a Microsoft Teams webhook URL, which grants posting to anyone who holds it';
  }
  if ((host === 'discord.com' || host === 'discordapp.com' || host.endsWith('.discord.com')) && path.startsWith('/api/webhooks/')) {
    return 'is a Discord webhook URL, whose path is its token';
  }
  if (host === 'chat.googleapis.com') return 'is a Google Chat webhook URL, which carries its key and token';
  if ((host === 'open.larksuite.com' || host === 'open.feishu.cn') && path.includes('/hook/')) return 'is a Lark webhook URL, whose path is its token';
  const secretParam = [...url.searchParams.keys()].find((k) => /^(token|access_token|api[-_]?key|key|sig|signature|secret|password|code)$/i.test(k));
  if (secretParam) return `carries a secret in its query (${secretParam}=)`;
  return undefined;
}

/** The address without anything that may be secret: scheme, host and port only. */
function redact(address: string): string {
  try {
    const url = new URL(address);
    const rest = url.pathname !== '/' || url.search ? '/…' : '';
    return `${url.protocol}//${url.host}${rest}`;
  } catch {
    return address;
  }
}

/** A Provider's API version and schema in the cluster it belongs to: `v1` from Flux v2.10, `v1beta3` before. */
function providerTypeAt(scope: Construct): FluxObjectType {
  const minor = fluxMinorAt(scope);
  const apiVersion = notificationApiVersion(minor);
  return { apiVersion, kind: 'Provider' };
}
