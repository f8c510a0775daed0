import { Construct } from 'constructs';
import type { IBucket } from './bucket.js';
import type { IExternalArtifact } from './external-artifact.js';
import type { IGitRepository } from './git-repository.js';
import type { IOciRepository } from './oci-repository.js';
import { API_VERSION, CommonMetadata } from '../core/api.js';
import { ValidationError } from '../core/errors.js';
import { FluxObject, FluxObjectProps, FluxReference, IFluxObject, ImportedFluxObject } from '../core/flux-object.js';
import { Checks, q } from '../core/rules.js';

/** The API version of source-watcher's ArtifactGenerator. */
export const ARTIFACT_GENERATOR_API_VERSION = 'source.extensions.fluxcd.io/v1beta1';

/** A source an ArtifactGenerator reads from. */
export type ArtifactGeneratorSource = IOciRepository | IGitRepository | IBucket;

/** One copy operation into a generated artifact. */
export interface ArtifactCopy {
  /** The source and a glob of its files: `@<alias>/<glob>`, e.g. `@apps/deploy/**`. */
  readonly from: string;
  /** Where in the artifact: `@artifact/<path>`, e.g. `@artifact/` or `@artifact/apps/`. */
  readonly to: string;
  /** Globs of files matched by `from` to leave out. @default - none */
  readonly exclude?: string[];
  /** `Overwrite` replaces files copied earlier; `Merge` merges YAML files the way Helm merges values. @default "Overwrite" */
  readonly strategy?: 'Overwrite' | 'Merge';
}

/** An artifact the generator produces, as an ExternalArtifact of the same name in the generator's namespace. */
export interface GeneratedArtifact {
  /** The name of the ExternalArtifact. */
  readonly name: string;
  /** The copy operations, in order: later files overwrite earlier ones. */
  readonly copy: ArtifactCopy[];
  /** The revision: `@<alias>` takes the source's; by default, the digest of the content. @default - the content digest */
  readonly revision?: string;
  /** The source whose origin revision (e.g. a Git commit) the artifact's revision annotation carries, `@<alias>`. @default - none */
  readonly originRevision?: string;
}

/** Props of an {@link ArtifactGenerator}. */
export interface ArtifactGeneratorProps extends FluxObjectProps {
  /** The sources, by alias (lowercase letters, digits, '_' and '-'), e.g. `{ apps: appsRepository }`. */
  readonly sources: Record<string, ArtifactGeneratorSource>;
  /** The artifacts to produce. */
  readonly artifacts: GeneratedArtifact[];
  /**
   * Produce the artifacts once per folder of a source matching `@<alias>/<pattern>`, e.g. `@apps/apps/{app}`: each
   * capture (`{app}`) can be used in the artifacts' names and copy paths (Flux 2.9 and newer).
   * @default - each artifact is produced once, as declared
   */
  readonly pathPattern?: string;
  /** Labels and annotations of the ExternalArtifacts produced. @default - none */
  readonly commonMetadata?: CommonMetadata;
}

/** An ArtifactGenerator, as other objects may reference it. */
export interface IArtifactGenerator extends IFluxObject {
  readonly kind: 'ArtifactGenerator';
}

/**
 * An ArtifactGenerator (`source.extensions.fluxcd.io/v1beta1`, reconciled by Flux's source-watcher): composes or
 * splits the artifacts of sources into new artifacts, each exposed as an ExternalArtifact of its name in the
 * generator's namespace, which Kustomizations and HelmReleases then reference (see {@link ArtifactGenerator.artifact}).
 */
export class ArtifactGenerator extends FluxObject implements IArtifactGenerator {
  /** References an ArtifactGenerator managed elsewhere. */
  public static fromName(scope: Construct, id: string, name: string, options: { readonly namespace?: string } = {}): IArtifactGenerator {
    return new ImportedFluxObject(scope, id, { apiVersion: ARTIFACT_GENERATOR_API_VERSION, kind: 'ArtifactGenerator', name, namespace: options.namespace }) as IArtifactGenerator;
  }

  declare public readonly kind: 'ArtifactGenerator';

  /** The props, as given. */
  public readonly props: ArtifactGeneratorProps;

  private readonly generated = new Map<string, IExternalArtifact>();

  public constructor(scope: Construct, id: string, props: ArtifactGeneratorProps) {
    super(scope, id, props, { apiVersion: ARTIFACT_GENERATOR_API_VERSION, kind: 'ArtifactGenerator' });
    this.props = props;
  }

  /**
   * The ExternalArtifact the generator produces under `name`, for a Kustomization's `sourceRef` or a HelmRelease's
   * `chartRef`. The name must be one of `artifacts`.
   */
  public artifact(name: string): IExternalArtifact {
    let found = this.generated.get(name);
    if (!found) {
      if (!this.props.artifacts.some((a) => a.name === name)) {
        throw new ValidationError(`ArtifactGenerator produces no artifact ${q(name)}; use one of ${this.props.artifacts.map((a) => q(a.name)).join(', ')}`, this.node.path);
      }
      found = new ImportedFluxObject(this, `artifact-${name}`, { apiVersion: API_VERSION.source, kind: 'ExternalArtifact', name, namespace: this.namespace }) as IExternalArtifact;
      this.generated.set(name, found);
    }
    return found;
  }

  public references(): FluxReference[] {
    return Object.entries(this.props.sources).map(([alias, source]) => ({
      field: `spec.sources[${alias}]`,
      target: source,
      kinds: ['OCIRepository', 'GitRepository', 'Bucket'],
      source: true,
    }));
  }

  /** @internal */
  protected renderSpec(): object {
    return {
      sources: Object.entries(this.props.sources).map(([alias, s]) => ({
        alias,
        kind: s.kind,
        name: s.name,
        ...(s.namespace !== this.namespace ? { namespace: s.namespace } : {}),
      })),
      artifacts: this.props.artifacts.map((a) => ({
        name: a.name,
        ...(a.revision !== undefined ? { revision: a.revision } : {}),
        ...(a.originRevision !== undefined ? { originRevision: a.originRevision } : {}),
        copy: a.copy.map((c) => ({
          from: c.from,
          to: c.to,
          ...(c.exclude && c.exclude.length > 0 ? { exclude: [...c.exclude] } : {}),
          ...(c.strategy !== undefined ? { strategy: c.strategy } : {}),
        })),
      })),
      pathPattern: this.props.pathPattern,
      commonMetadata: this.props.commonMetadata
        ? { labels: this.props.commonMetadata.labels, annotations: this.props.commonMetadata.annotations }
        : undefined,
    };
  }

  /** @internal */
  protected validateProps(c: Checks): void {
    const aliases = Object.keys(this.props.sources);
    if (aliases.length === 0) c.add('spec.sources is empty; give at least one source, e.g. { apps: appsRepository }');
    if (this.props.artifacts.length === 0) c.add('spec.artifacts is empty; give at least one artifact to produce');
    const patternAlias = /^@([^/]+)\//.exec(this.props.pathPattern ?? '')?.[1];
    if (this.props.pathPattern !== undefined && (patternAlias === undefined || !aliases.includes(patternAlias))) {
      c.add(`spec.pathPattern ${q(this.props.pathPattern)} names no source; start it with "@<alias>/" for one of ${aliases.map((x) => q(x)).join(', ')}, e.g. "@${aliases[0] ?? 'apps'}/apps/{app}"`);
    }
    const names = new Set<string>();
    for (const a of this.props.artifacts) {
      if (names.has(a.name)) c.add(`spec.artifacts names ${q(a.name)} twice; each artifact needs a name of its own`);
      names.add(a.name);
      for (const [field, value] of [['revision', a.revision], ['originRevision', a.originRevision]] as const) {
        const alias = value?.startsWith('@') ? value.slice(1) : undefined;
        if (value !== undefined && (alias === undefined || !aliases.includes(alias))) {
          c.add(`spec.artifacts[${a.name}].${field} ${q(value)} names no source; use "@<alias>" with one of ${aliases.map((x) => q(x)).join(', ')}`);
        }
      }
      a.copy.forEach((op, i) => {
        const alias = /^@([^/]+)\//.exec(op.from)?.[1];
        if (alias === undefined || !aliases.includes(alias)) {
          c.add(`spec.artifacts[${a.name}].copy[${i}].from ${q(op.from)} names no source; start it with "@<alias>/" for one of ${aliases.map((x) => q(x)).join(', ')}, e.g. "@${aliases[0] ?? 'apps'}/deploy/**"`);
        }
        if (op.from.split('/').includes('..') || op.to.split('/').includes('..')) {
          c.add(`spec.artifacts[${a.name}].copy[${i}] climbs out with ".."; name paths inside the source and the artifact`);
        }
      });
    }
  }
}
