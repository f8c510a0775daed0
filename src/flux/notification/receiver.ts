import { Construct } from 'constructs';
import { checkSelections, EventSourceKind, KindSelection, KindSelectorOptions, objectReferences, renderSelection } from './alert.js';
import { API_VERSION, FromNameOptions, SecretReference } from '../core/api.js';
import { FluxDuration, renderOptionalDuration } from '../core/duration.js';
import { FluxObject, FluxObjectProps, FluxReference, IFluxObject, ImportedFluxObject } from '../core/flux-object.js';
import { Checks, q } from '../core/rules.js';

/** The webhook senders a Receiver understands: how it authenticates a request and reads its payload. */
export type ReceiverType =
  | 'generic' | 'generic-hmac'
  | 'github' | 'gitlab' | 'bitbucket'
  | 'harbor' | 'dockerhub' | 'quay' | 'gcr' | 'nexus' | 'acr'
  | 'cdevents';

const RECEIVER_TYPES: readonly ReceiverType[] = [
  'generic', 'generic-hmac', 'github', 'gitlab', 'bitbucket', 'harbor', 'dockerhub', 'quay', 'gcr', 'nexus', 'acr', 'cdevents',
];
/** Types that filter requests by `events`. */
const EVENT_FILTER_TYPES: readonly ReceiverType[] = ['github', 'gitlab', 'bitbucket', 'cdevents'];

/** Every object of one kind a Receiver reconciles. */
export class ReceiverResource extends KindSelection {
  /** Selects every object of `kind` (in the Receiver's namespace unless `namespace` is set), optionally by labels. */
  public static all(kind: EventSourceKind, options: KindSelectorOptions = {}): ReceiverResource {
    return new ReceiverResource(kind, options);
  }

  private constructor(kind: EventSourceKind, options: KindSelectorOptions) {
    super(kind, options);
  }
}

/** Props of a {@link Receiver}. */
export interface ReceiverProps extends FluxObjectProps {
  /** The webhook sender. */
  readonly type: ReceiverType;
  /**
   * The Secret whose `token` salts the webhook path and authenticates requests (`gcr` also needs `email` and
   * `audience`).
   */
  readonly secretRef: SecretReference;
  /** The objects to reconcile on a request: Flux objects, or `ReceiverResource.all(kind, ...)`. */
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
    return objectReferences('spec.resources', this.props.resources);
  }

  /** @internal */
  protected renderSpec(): object {
    const p = this.props;
    const spec = {
      type: p.type,
      events: p.events ? [...p.events] : undefined,
      resources: p.resources.map((r) => renderSelection(this, r)),
      resourceFilter: p.resourceFilter,
      secretRef: { name: p.secretRef.name },
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
    if (!p.secretRef?.name) c.add('spec.secretRef is required: name a Secret with a "token" key, which salts the webhook path and authenticates requests');
    else c.dnsName('spec.secretRef.name', p.secretRef.name);
    if (p.resources.length === 0) {
      c.add('spec.resources is empty, so a request reconciles nothing; list Flux objects, or ReceiverResource.all(kind)');
    }
    checkSelections(c, 'spec.resources', p.resources);
    if (p.events?.length && !EVENT_FILTER_TYPES.includes(p.type)) {
      c.add(`spec.events is ignored by type ${q(p.type)}, which does not filter by event; drop it, or use one of ${EVENT_FILTER_TYPES.map((t) => q(t)).join(', ')}`);
    }
    p.events?.forEach((e, i) => { if (e.trim() === '') c.add(`spec.events[${i}] is empty; name an event type, e.g. "push"`); });
  }
}
