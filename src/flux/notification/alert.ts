import { Construct } from 'constructs';
import type { IProvider } from './provider.js';
import { FromNameOptions } from '../core/api.js';
import { FluxObject, FluxObjectProps, FluxObjectType, FluxReference, IFluxObject, ImportedFluxObject, renderRef } from '../core/flux-object.js';
import { notificationApiVersion } from '../core/flux-version.js';
import { fluxMinorAt } from '../core/object-index.js';
import { Checks, q } from '../core/rules.js';

/** The kinds of Flux object that emit events an Alert can select, and that a Receiver can reconcile. */
export type EventSourceKind =
  | 'Bucket' | 'GitRepository' | 'HelmChart' | 'HelmRepository' | 'OCIRepository' | 'ExternalArtifact' | 'ArtifactGenerator'
  | 'Kustomization' | 'HelmRelease'
  | 'ImageRepository' | 'ImagePolicy' | 'ImageUpdateAutomation';

/** The kinds in {@link EventSourceKind}. */
export const EVENT_SOURCE_KINDS: readonly EventSourceKind[] = [
  'Bucket', 'GitRepository', 'HelmChart', 'HelmRepository', 'OCIRepository', 'ExternalArtifact', 'ArtifactGenerator',
  'Kustomization', 'HelmRelease',
  'ImageRepository', 'ImagePolicy', 'ImageUpdateAutomation',
];

/** Which objects of a kind a wildcard selects. */
export interface KindSelectorOptions {
  /** The namespace of the objects. @default - the namespace of the selecting object */
  readonly namespace?: string;
  /** Labels the objects must carry, all of them. @default - every object of the kind */
  readonly matchLabels?: Record<string, string>;
}

/**
 * Every object of one kind in a namespace, optionally only those carrying some labels: Flux's wildcard name `*`.
 * Base of {@link EventSource} and `ReceiverResource`.
 */
export abstract class KindSelection {
  protected constructor(
    /** The kind selected. */
    public readonly kind: EventSourceKind,
    /** Which objects of it. */
    public readonly options: KindSelectorOptions,
  ) {}
}

/** Every object of one kind whose events an Alert sends. */
export class EventSource extends KindSelection {
  /** Selects the events of every object of `kind` (in the Alert's namespace unless `namespace` is set). */
  public static all(kind: EventSourceKind, options: KindSelectorOptions = {}): EventSource {
    return new EventSource(kind, options);
  }

  private constructor(kind: EventSourceKind, options: KindSelectorOptions) {
    super(kind, options);
  }
}

/** Props of an {@link Alert}. */
export interface AlertProps extends FluxObjectProps {
  /** The Provider events are sent to; it must be in the Alert's namespace. */
  readonly providerRef: IProvider;
  /** The objects whose events are sent: Flux objects, or `EventSource.all(kind, ...)` for every object of a kind. */
  readonly eventSources: Array<IFluxObject | EventSource>;
  /** `error` sends error events only; `info` sends every event. @default "info" */
  readonly eventSeverity?: 'info' | 'error';
  /** Regular expressions (Go syntax); only events whose message matches one are sent. @default - every event */
  readonly inclusionList?: string[];
  /** Regular expressions (Go syntax); events whose message matches one are dropped (this wins over inclusion). @default - none */
  readonly exclusionList?: string[];
  /**
   * Metadata added to every event sent (it never overrides the event's own), e.g.
   * `{ summary: 'Cluster addons impacted in us-east-2', env: 'prod' }`; it replaces the deprecated `spec.summary`,
   * which is not modelled.
   * @default - none
   */
  readonly eventMetadata?: Record<string, string>;
  /** Stop sending events. @default false */
  readonly suspend?: boolean;
}

/** A Alert, as other objects may reference it. */
export interface IAlert extends IFluxObject {
  readonly kind: 'Alert';
}

/**
 * An Alert (`notification.toolkit.fluxcd.io/v1beta3` on Flux 2.9, `/v1` on Flux 2.10: the `fluxVersion` of its
 * ClusterScope decides): sends the events of chosen Flux objects to a Provider.
 */
export class Alert extends FluxObject implements IAlert {
  /** References an Alert managed elsewhere. */
  public static fromName(scope: Construct, id: string, name: string, options: FromNameOptions = {}): IAlert {
    return new ImportedFluxObject(scope, id, { apiVersion: notificationApiVersion(fluxMinorAt(scope)), kind: 'Alert', name, namespace: options.namespace }) as IAlert;
  }

  declare public readonly kind: 'Alert';

  /** The props, as given. */
  public readonly props: AlertProps;

  public constructor(scope: Construct, id: string, props: AlertProps) {
    super(scope, id, props, alertTypeAt(scope));
    this.props = props;
  }

  public references(): FluxReference[] {
    return [
      { field: 'spec.providerRef', target: this.props.providerRef, kinds: ['Provider'] },
      ...objectReferences('spec.eventSources', this.props.eventSources),
    ];
  }

  /** @internal */
  protected renderSpec(): object {
    const p = this.props;
    const spec = {
      providerRef: { name: p.providerRef.name },
      eventSources: p.eventSources.map((s) => renderSelection(this, s)),
      eventSeverity: p.eventSeverity,
      inclusionList: p.inclusionList ? [...p.inclusionList] : undefined,
      exclusionList: p.exclusionList ? [...p.exclusionList] : undefined,
      eventMetadata: p.eventMetadata ? { ...p.eventMetadata } : undefined,
      suspend: p.suspend,
    };
    return spec;
  }

  /** @internal */
  protected validateProps(c: Checks): void {
    const p = this.props;
    const provider = p.providerRef;
    if (provider.namespace !== this.namespace) {
      c.add(`spec.providerRef refers to Provider ${provider.namespace}/${provider.name} in another namespace, but an Alert can only use a Provider of its own namespace (${this.namespace}); define the Provider in ${this.namespace}`);
    }
    if (p.eventSources.length === 0) {
      c.add('spec.eventSources is empty, so the Alert sends nothing; list Flux objects, or EventSource.all(kind) for every object of a kind');
    }
    checkSelections(c, 'spec.eventSources', p.eventSources);
    c.oneOf('spec.eventSeverity', p.eventSeverity, ['info', 'error']);
    p.inclusionList?.forEach((r, i) => c.regex(`spec.inclusionList[${i}]`, r));
    p.exclusionList?.forEach((r, i) => c.regex(`spec.exclusionList[${i}]`, r));
  }
}

function isSelection(x: IFluxObject | KindSelection): x is KindSelection {
  return x instanceof KindSelection;
}

/** The references for the objects named in a list of objects and wildcard selections. @internal */
export function objectReferences(field: string, entries: ReadonlyArray<IFluxObject | KindSelection>): FluxReference[] {
  const refs: FluxReference[] = [];
  entries.forEach((e, i) => {
    // With --no-cross-namespace-refs, notification-controller refuses objects in other namespaces: a source lockdown.
    if (!isSelection(e)) refs.push({ field: `${field}[${i}]`, target: e, kinds: EVENT_SOURCE_KINDS, source: true });
  });
  return refs;
}

/** An entry of `spec.eventSources`, as rendered. @internal */
export interface RenderedEventSource {
  /** The kind. */
  readonly kind: string;
  /** The name, or `*`. */
  readonly name: string;
  /** The namespace. @default - the referring object's */
  readonly namespace?: string;
  /** Labels of a wildcard. @default - none */
  readonly matchLabels?: Record<string, string>;
}

/** Renders an object or a wildcard selection as a cross-namespace reference. @internal */
export function renderSelection(from: IFluxObject, entry: IFluxObject | KindSelection): RenderedEventSource {
  if (!isSelection(entry)) return renderRef(from, entry) as RenderedEventSource;
  const { namespace, matchLabels } = entry.options;
  return {
    kind: entry.kind,
    name: '*',
    ...(namespace !== undefined && namespace !== from.namespace ? { namespace } : {}),
    ...(matchLabels ? { matchLabels: { ...matchLabels } } : {}),
  };
}

/** Checks the wildcard selections of a list: kinds, namespaces and labels. @internal */
export function checkSelections(c: Checks, field: string, entries: ReadonlyArray<IFluxObject | KindSelection>): void {
  entries.forEach((e, i) => {
    if (!isSelection(e)) return;
    const f = `${field}[${i}]`;
    c.oneOf(`${f}.kind`, e.kind, EVENT_SOURCE_KINDS);
    if (e.options.namespace === '*') {
      c.add(`${f}.namespace "*" (every namespace) needs a controller feature gate and is refused by multi-tenant lockdown; select a namespace, or one entry per namespace`);
    } else {
      c.dnsLabel(`${f}.namespace`, e.options.namespace);
    }
    for (const [key, value] of Object.entries(e.options.matchLabels ?? {})) {
      if (!isLabelKey(key)) c.add(`${f}.matchLabels key ${q(key)} is not a label key; use [prefix/]name with letters, digits, '-', '_' and '.', e.g. "app.kubernetes.io/name"`);
      if (!LABEL_VALUE.test(value)) c.add(`${f}.matchLabels.${key} value ${q(value)} is not a label value; use at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit`);
    }
  });
}

const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;
const LABEL_PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function isLabelKey(key: string): boolean {
  const slash = key.indexOf('/');
  if (slash < 0) return LABEL_NAME.test(key);
  const prefix = key.slice(0, slash);
  return prefix.length <= 253 && LABEL_PREFIX.test(prefix) && LABEL_NAME.test(key.slice(slash + 1));
}

/** An Alert's API version and schema in the cluster it belongs to: `v1` from Flux v2.10, `v1beta3` before. */
function alertTypeAt(scope: Construct): FluxObjectType {
  const minor = fluxMinorAt(scope);
  const apiVersion = notificationApiVersion(minor);
  return { apiVersion, kind: 'Alert' };
}
