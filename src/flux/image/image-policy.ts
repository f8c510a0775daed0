import { Construct } from 'constructs';
import { ImageRepository } from './image-repository.js';
import type { IImageRepository } from './image-repository.js';
import { API_VERSION, FromNameOptions } from '../core/api.js';
import { FluxDuration, renderDuration } from '../core/duration.js';
import { FluxObject, FluxObjectProps, FluxReference, IFluxObject, ImportedFluxObject, renderRef } from '../core/flux-object.js';
import { Checks, q } from '../core/rules.js';

/** The order of tags: `asc` elects the last tag in ascending order (`z`, `9`), `desc` the first (`a`, `0`). */
export type TagOrder = 'asc' | 'desc';

/** When the digest of the elected image is written to the policy's status. */
export type DigestReflectionPolicy = 'Always' | 'IfNotPresent' | 'Never';

/** How an ImagePolicy elects the latest image among the repository's tags; create one with a static method. */
export class ImagePolicyChoice {
  /** The highest tag that is a semantic version inside `range` (Masterminds syntax, e.g. `>=1.0.0 <2.0.0` or `5.x`). */
  public static semver(range: string): ImagePolicyChoice {
    return new ImagePolicyChoice('semver', { range });
  }

  /** The last tag in alphabetical order (`asc`), or the first (`desc`), e.g. for RFC 3339 timestamps. */
  public static alphabetical(order?: TagOrder): ImagePolicyChoice {
    return new ImagePolicyChoice('alphabetical', order === undefined ? {} : { order });
  }

  /** The highest tag read as a number (`asc`), or the lowest (`desc`), e.g. for build numbers or Unix timestamps. */
  public static numerical(order?: TagOrder): ImagePolicyChoice {
    return new ImagePolicyChoice('numerical', order === undefined ? {} : { order });
  }

  private constructor(
    /** Which policy: `semver`, `alphabetical` or `numerical`. */
    public readonly type: 'semver' | 'alphabetical' | 'numerical',
    private readonly options: { readonly range?: string; readonly order?: TagOrder },
  ) {}

  /** The semver range, for `semver`. */
  public get range(): string | undefined {
    return this.options.range;
  }

  /** The order, for `alphabetical` and `numerical`. */
  public get order(): TagOrder | undefined {
    return this.options.order;
  }

  /** The `spec.policy` object. @internal */
  public _render(): Record<string, Record<string, unknown>> {
    return { [this.type]: { ...this.options } };
  }
}

/** Which tags take part, and what part of each is compared. */
export interface TagFilter {
  /** A regular expression (Go syntax) tags must match, e.g. `^main-[a-f0-9]+-(?P<ts>[0-9]+)$`. @default - every tag */
  readonly pattern?: string;
  /** What of the tag the policy compares: a group of `pattern`, e.g. `$ts` or `$1`. @default - the whole tag */
  readonly extract?: string;
}

/** Props of an {@link ImagePolicy}. */
export interface ImagePolicyProps extends FluxObjectProps {
  /** The ImageRepository whose tags are considered. */
  readonly imageRepositoryRef: IImageRepository;
  /** How the latest image is elected. */
  readonly policy: ImagePolicyChoice;
  /** Which tags take part. @default - every tag */
  readonly filterTags?: TagFilter;
  /** When the elected image's digest is written to the status (`Always` refreshes it every `interval`). @default "Never" */
  readonly digestReflectionPolicy?: DigestReflectionPolicy;
  /** How often the digest is refreshed; only with `digestReflectionPolicy: 'Always'`. @default 10m with "Always" */
  readonly interval?: FluxDuration;
  /** Stop electing. @default false */
  readonly suspend?: boolean;
}

/** A ImagePolicy, as other objects may reference it. */
export interface IImagePolicy extends IFluxObject {
  readonly kind: 'ImagePolicy';
}

/** An ImagePolicy (`image.toolkit.fluxcd.io/v1`): elects the latest image of an ImageRepository by a policy. */
export class ImagePolicy extends FluxObject implements IImagePolicy {
  /** References an ImagePolicy managed elsewhere. */
  public static fromName(scope: Construct, id: string, name: string, options: FromNameOptions = {}): IImagePolicy {
    return new ImportedFluxObject(scope, id, { apiVersion: API_VERSION.image, kind: 'ImagePolicy', name, namespace: options.namespace }) as IImagePolicy;
  }

  declare public readonly kind: 'ImagePolicy';

  /** The props, as given. */
  public readonly props: ImagePolicyProps;

  public constructor(scope: Construct, id: string, props: ImagePolicyProps) {
    super(scope, id, props, { apiVersion: API_VERSION.image, kind: 'ImagePolicy' });
    this.props = props;
  }

  public references(): FluxReference[] {
    return [{ field: 'spec.imageRepositoryRef', target: this.props.imageRepositoryRef, kinds: ['ImageRepository'], source: true }];
  }

  /** @internal */
  protected renderSpec(): object {
    const p = this.props;
    const always = p.digestReflectionPolicy === 'Always';
    const spec = {
      imageRepositoryRef: renderRef(this, p.imageRepositoryRef, false),
      policy: p.policy._render(),
      filterTags: p.filterTags ? { pattern: p.filterTags.pattern, extract: p.filterTags.extract } : undefined,
      digestReflectionPolicy: p.digestReflectionPolicy,
      interval: p.interval !== undefined ? renderDuration(p.interval) : always ? '10m' : undefined,
      suspend: p.suspend,
    };
    return spec;
  }

  /** @internal */
  protected validateProps(c: Checks): void {
    const p = this.props;
    if (p.policy.type === 'semver') c.semverRange('spec.policy.semver.range', p.policy.range);
    else c.oneOf(`spec.policy.${p.policy.type}.order`, p.policy.order, ['asc', 'desc']);
    c.oneOf('spec.digestReflectionPolicy', p.digestReflectionPolicy, ['Always', 'IfNotPresent', 'Never']);
    c.duration('spec.interval', p.interval);
    if (p.interval !== undefined && p.digestReflectionPolicy !== 'Always') {
      c.add(`spec.interval is only accepted with spec.digestReflectionPolicy "Always" (got ${q(p.digestReflectionPolicy ?? 'Never')}); drop the interval or set digestReflectionPolicy to "Always"`);
    }
    this.checkFilterTags(c);
    this.checkCrossNamespace(c);
  }

  private checkFilterTags(c: Checks): void {
    const f = this.props.filterTags;
    if (!f) return;
    const pattern = c.regex('spec.filterTags.pattern', f.pattern);
    if (f.extract === undefined) return;
    if (f.pattern === undefined) {
      c.add(`spec.filterTags.extract ${q(f.extract)} is set without spec.filterTags.pattern; add a pattern with the group to extract`);
      return;
    }
    if (!pattern) return;
    // Matching the empty alternative yields every group of the pattern, each undefined.
    const empty = new RegExp(`${pattern.source}|`, pattern.flags).exec('')!;
    const groups = empty.length - 1;
    const named = Object.keys(empty.groups ?? {});
    for (const m of f.extract.matchAll(/\$(?:\{(\w+)\}|(\w+))/g)) {
      const ref = m[1] ?? m[2];
      const ok = /^[0-9]+$/.test(ref) ? Number(ref) <= groups : named.includes(ref);
      if (!ok) {
        c.add(`spec.filterTags.extract ${q(f.extract)} refers to group ${q(ref)}, which spec.filterTags.pattern ${q(f.pattern)} does not define; add (?P<${/^[0-9]+$/.test(ref) ? 'name' : ref}>...) to the pattern or use one of its groups`);
      }
    }
  }

  /** A policy may use a repository of another namespace only when the repository's accessFrom lets it. */
  private checkCrossNamespace(c: Checks): void {
    const repo = this.props.imageRepositoryRef;
    if (repo.namespace === this.namespace || !(repo instanceof ImageRepository) || repo.props.accessFrom) return;
    c.add(`spec.imageRepositoryRef refers to ImageRepository ${repo.namespace}/${repo.name} in another namespace, but its spec.accessFrom is not set, so image-reflector-controller refuses the reference; set accessFrom.namespaceSelectors on the repository, or put the policy in ${repo.namespace}`);
  }
}
