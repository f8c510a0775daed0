import { Construct, IConstruct } from 'constructs';
import { API_VERSION, FromNameOptions } from '../core/api.js';
import { FluxObject, FluxObjectProps, FluxReference, IFluxObject, ImportedFluxObject } from '../core/flux-object.js';
import { Checks, q } from '../core/rules.js';

/**
 * The custom resource an artifact is generated for, e.g. a source-watcher ArtifactGenerator. Any Flux object fits,
 * and so does any `{apiVersion, kind, name, namespace}` of another controller's resource.
 */
export interface ExternalArtifactSourceReference {
  /** The resource's API version, e.g. `source.extensions.fluxcd.io/v1beta1`. @default - the preferred version of the kind */
  readonly apiVersion?: string;
  /** The resource's kind, e.g. `ArtifactGenerator`. */
  readonly kind: string;
  /** The resource's name. */
  readonly name: string;
  /** The resource's namespace. @default - the ExternalArtifact's namespace */
  readonly namespace?: string;
}

/** Props of an {@link ExternalArtifact}. */
export interface ExternalArtifactProps extends FluxObjectProps {
  /** The resource the artifact is generated for. @default - none */
  readonly sourceRef?: ExternalArtifactSourceReference;
}

/** An ExternalArtifact, as other objects may reference it. */
export interface IExternalArtifact extends IFluxObject {
  readonly kind: 'ExternalArtifact';
}

/**
 * An ExternalArtifact (`source.toolkit.fluxcd.io/v1`): an artifact that another controller (source-watcher's
 * ArtifactGenerator, or a third party's) produces and stores the way source-controller does. Such a controller
 * usually creates the object itself: refer to it with {@link ExternalArtifact.fromName}, and define one here only
 * when the producing controller expects it to exist.
 */
export class ExternalArtifact extends FluxObject implements IExternalArtifact {
  /** References an ExternalArtifact managed elsewhere, e.g. by the controller that produces it. */
  public static fromName(scope: Construct, id: string, name: string, options: FromNameOptions = {}): IExternalArtifact {
    return new ImportedFluxObject(scope, id, { apiVersion: API_VERSION.source, kind: 'ExternalArtifact', name, namespace: options.namespace }) as IExternalArtifact;
  }

  declare public readonly kind: 'ExternalArtifact';

  /** The props, as given. */
  public readonly props: ExternalArtifactProps;

  public constructor(scope: Construct, id: string, props: ExternalArtifactProps = {}) {
    super(scope, id, props, { apiVersion: API_VERSION.source, kind: 'ExternalArtifact' });
    this.props = props;
  }

  public references(): FluxReference[] {
    const ref = this.props.sourceRef;
    // Only a Flux object of this app can be checked for existence; other controllers' resources are opaque here.
    if (!ref || !isFluxObjectConstruct(ref)) return [];
    return [{ field: 'spec.sourceRef', target: ref, kinds: [ref.kind] }];
  }

  /** @internal */
  protected renderSpec(): object {
    const ref = this.props.sourceRef;
    const spec = {
      sourceRef: ref ? {
        apiVersion: ref.apiVersion,
        kind: ref.kind,
        name: ref.name,
        namespace: ref.namespace !== undefined && ref.namespace !== this.namespace ? ref.namespace : undefined,
      } : undefined,
    };
    return spec;
  }

  /** @internal */
  protected validateProps(c: Checks): void {
    const ref = this.props.sourceRef;
    if (!ref) return;
    if (ref.apiVersion !== undefined && !/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?v[0-9]+((alpha|beta)[0-9]+)?$/.test(ref.apiVersion)) {
      c.add(`spec.sourceRef.apiVersion ${q(ref.apiVersion)} is not an API version; use <group>/<version>, e.g. "source.extensions.fluxcd.io/v1beta1"`);
    }
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(ref.kind ?? '')) {
      c.add(`spec.sourceRef.kind ${q(ref.kind)} is not a kind; use the resource's kind, e.g. "ArtifactGenerator"`);
    }
    if (!ref.name) c.add('spec.sourceRef.name is empty; name the resource the artifact is generated for');
    else c.dnsName('spec.sourceRef.name', ref.name);
    c.dnsLabel('spec.sourceRef.namespace', ref.namespace);
  }
}

/** Whether a reference is a Flux object construct (defined here or imported by name), which the core can resolve. */
function isFluxObjectConstruct(ref: ExternalArtifactSourceReference): ref is IFluxObject {
  const x = ref as Partial<IFluxObject> & Partial<IConstruct>;
  return typeof x.imported === 'boolean' && x.node !== undefined;
}
