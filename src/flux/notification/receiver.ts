import { Construct } from 'constructs';
import { checkSelections, EventSourceKind, KindSelection, KindSelectorOptions, objectReferences, renderSelection } from './alert.js';
import { API_VERSION, FromNameOptions, SecretReference } from '../core/api.js';
import { FluxDuration, renderOptionalDuration } from '../core/duration.js';
import { FluxObject, FluxObjectProps, FluxReference, IFluxObject, ImportedFluxObject } from '../core/flux-object.js';
import { Checks, q } from '../core/rules.js';

/** The webhook senders a Receiver understands: how it authenticates a request and reads its payload. */
export type ReceiverType =
  | 'generic' | 'generic-hmac' | 'generic-oidc'
  | 'github' | 'gitlab' | 'bitbucket'
  | 'harbor' | 'dockerhub' | 'quay' | 'gcr' | 'nexus' | 'acr'
  | 'cdevents';

const RECEIVER_TYPES: readonly ReceiverType[] = [
  'generic', 'generic-hmac', 'generic-oidc', 'github', 'gitlab', 'bitbucket', 'harbor', 'dockerhub', 'quay', 'gcr', 'nexus', 'acr', 'cdevents',
];
/** Types that filter requests by `events`. */
const EVENT_FILTER_TYPES: readonly ReceiverType[] = ['github', 'gitlab', 'bitbucket', 'cdevents'];

/** Which objects a Receiver reconciles, and which of them a request reaches. */
export interface ReceiverResourceOptions extends KindSelectorOptions {
  /**
   * A CEL expression evaluated for each object on a request, beside `resourceFilter`: the object (its metadata as
   * `res`) is reconciled only when both hold.
   * @default - every object selected
   */
  readonly filter?: string;
}

/** Objects a Receiver reconciles: every object of one kind, or one object, with an optional filter. */
export class ReceiverResource extends KindSelection {
  /** Selects every object of `kind` (in the Receiver's namespace unless `namespace` is set), optionally by labels. */
  public static all(kind: EventSourceKind, options: ReceiverResourceOptions = {}): ReceiverResource {
    return new ReceiverResource(kind, options, undefined);
  }

  /** One Flux object, reconciled when `filter` holds for it. */
  public static object(target: IFluxObject, options: { readonly filter?: string } = {}): ReceiverResource {
    return new ReceiverResource(target.kind as EventSourceKind, options, target);
  }

  private constructor(
    kind: EventSourceKind,
    public readonly resourceOptions: ReceiverResourceOptions,
    /** The one object selected, when not a whole kind. */
    public readonly target: IFluxObject | undefined,
  ) {
    super(kind, resourceOptions);
  }
}

/** A claim check a `generic-oidc` Receiver makes on a request's token. */
export interface OidcValidation {
  /** A CEL expression over `claims` and `vars` that must hold, e.g. `claims.repository_owner == 'acme'`. */
  readonly expression: string;
  /** What the caller is told when it does not hold. */
  readonly message: string;
}

/** A named CEL expression over the token's `claims`, readable as `vars.<name>` by later variables and the validations. */
export interface OidcVariable {
  /** The name, a CEL identifier. */
  readonly name: string;
  /** The expression. */
  readonly expression: string;
}

/** An OIDC issuer whose tokens a `generic-oidc` Receiver accepts. */
export interface ReceiverOidcProvider {
  /** The issuer URL, matching the tokens' `iss` claim, e.g. `https://token.actions.githubusercontent.com`. */
  readonly issuerURL: string;
  /** The audience tokens must carry (`aud`). @default "notification-controller" */
  readonly audience?: string;
  /**
   * Checks on the token's claims, all of which must hold: a valid signature alone accepts any caller of a public
   * issuer, so constrain the caller's identity here.
   */
  readonly validations: OidcValidation[];
  /** Named expressions shared by the validations. @default - none */
  readonly variables?: OidcVariable[];
}

/** Props of a {@link Receiver}. */
export interface ReceiverProps extends FluxObjectProps {
  /** The webhook sender. */
  readonly type: ReceiverType;
  /**
   * The Secret whose `token` salts the webhook path and authenticates requests (`gcr` also needs `email` and
   * `audience`). Every type but `generic-oidc` needs one.
   * @default - none: type "generic-oidc" authenticates with `oidcProviders` instead
   */
  readonly secretRef?: SecretReference;
  /** The issuers whose tokens authenticate requests, for type `generic-oidc` (Flux 2.9 and newer). @default - none */
  readonly oidcProviders?: ReceiverOidcProvider[];
  /** The objects to reconcile on a request: Flux objects, `ReceiverResource.all(kind, ...)` or `ReceiverResource.object(...)`. */
  readonly resources: Array<IFluxObject | ReceiverResource>;
  /**
   * Event types to act on, e.g. `push` and `ping` for GitHub or `Push Hook` for GitLab; `github`, `gitlab`,
   * `bitbucket` and `cdevents` only.
   * @default - every event
   */
  readonly events?: string[];
  /** A CEL expression evaluated for each resource on a request; those for which it is false are not reconciled. @default - every resource */
  readonly resourceFilter?: string;
  /** How often to check the Secret. @default 10m */
  readonly interval?: FluxDuration;
  /** Stop handling requests. @default false */
  readonly suspend?: boolean;
}

/** A Receiver, as other objects may reference it. */
export interface IReceiver extends IFluxObject {
  readonly kind: 'Receiver';
}

/** A Receiver (`notification.toolkit.fluxcd.io/v1`): a webhook that makes Flux reconcile objects at once. */
export class Receiver extends FluxObject implements IReceiver {
  /** References a Receiver managed elsewhere. */
  public static fromName(scope: Construct, id: string, name: string, options: FromNameOptions = {}): IReceiver {
    return new ImportedFluxObject(scope, id, { apiVersion: API_VERSION.receiver, kind: 'Receiver', name, namespace: options.namespace }) as IReceiver;
  }

  declare public readonly kind: 'Receiver';

  /** The props, as given. */
  public readonly props: ReceiverProps;

  public constructor(scope: Construct, id: string, props: ReceiverProps) {
    super(scope, id, props, { apiVersion: API_VERSION.receiver, kind: 'Receiver' });
    this.props = props;
  }

  public references(): FluxReference[] {
    return objectReferences('spec.resources', this.props.resources.map((r) => (r instanceof ReceiverResource && r.target ? r.target : r)));
  }

  /** @internal */
  protected renderSpec(): object {
    const p = this.props;
    const spec = {
      type: p.type,
      events: p.events ? [...p.events] : undefined,
      resources: p.resources.map((r) => {
        if (!(r instanceof ReceiverResource)) return renderSelection(this, r);
        const filter = r.resourceOptions.filter;
        return { ...renderSelection(this, r.target ?? r), ...(filter !== undefined ? { filter } : {}) };
      }),
      resourceFilter: p.resourceFilter,
      secretRef: p.secretRef ? { name: p.secretRef.name } : undefined,
      oidcProviders: p.oidcProviders?.map((o) => ({
        issuerURL: o.issuerURL,
        audience: o.audience,
        validations: o.validations.map((v) => ({ expression: v.expression, message: v.message })),
        variables: o.variables?.map((v) => ({ name: v.name, expression: v.expression })),
      })),
      interval: renderOptionalDuration(p.interval),
      suspend: p.suspend,
    };
    return spec;
  }

  /** @internal */
  protected validateProps(c: Checks): void {
    const p = this.props;
    c.oneOf('spec.type', p.type, RECEIVER_TYPES);
    c.duration('spec.interval', p.interval);
    if (p.type === 'generic-oidc') {
      if (p.secretRef) c.add('spec.secretRef is set with type "generic-oidc", which authenticates with spec.oidcProviders; drop the secretRef');
      if (!p.oidcProviders?.length) c.add('spec.oidcProviders is empty with type "generic-oidc"; name the issuer whose tokens are accepted, with validations of the caller\'s claims');
    } else if (!p.secretRef?.name) {
      c.add('spec.secretRef is required: name a Secret with a "token" key, which salts the webhook path and authenticates requests');
    } else {
      c.dnsName('spec.secretRef.name', p.secretRef.name);
    }
    if (p.oidcProviders?.length && p.type !== 'generic-oidc') c.add(`spec.oidcProviders is ignored by type ${q(p.type)}; drop it, or use type "generic-oidc"`);
    p.oidcProviders?.forEach((o, i) => {
      const field = `spec.oidcProviders[${i}]`;
      c.url(`${field}.issuerURL`, o.issuerURL, ['https', 'http']);
      if (o.validations.length === 0) c.add(`${field}.validations is empty, so any caller the issuer serves is accepted; check its identity claims, e.g. "claims.repository_owner == 'acme'"`);
      o.validations.forEach((v, j) => c.celExpression(`${field}.validations[${j}].expression`, v.expression));
      o.variables?.forEach((v, j) => c.celExpression(`${field}.variables[${j}].expression`, v.expression));
    });
    p.resources.forEach((r, i) => {
      if (r instanceof ReceiverResource) c.celExpression(`spec.resources[${i}].filter`, r.resourceOptions.filter);
    });
    c.celExpression('spec.resourceFilter', p.resourceFilter);
    if (p.resources.length === 0) {
      c.add('spec.resources is empty, so a request reconciles nothing; list Flux objects, or ReceiverResource.all(kind)');
    }
    checkSelections(c, 'spec.resources', p.resources.map((r) => (r instanceof ReceiverResource && r.target ? r.target : r)));
    if (p.events?.length && !EVENT_FILTER_TYPES.includes(p.type)) {
      c.add(`spec.events is ignored by type ${q(p.type)}, which does not filter by event; drop it, or use one of ${EVENT_FILTER_TYPES.map((t) => q(t)).join(', ')}`);
    }
    p.events?.forEach((e, i) => { if (e.trim() === '') c.add(`spec.events[${i}] is empty; name an event type, e.g. "push"`); });
  }
}
