import { Construct } from 'constructs';
import { API_VERSION, FromNameOptions, LabelSelectorRequirement, SecretReference } from '../core/api.js';
import { FluxDuration, renderDuration } from '../core/duration.js';
import { FluxObject, FluxObjectProps, FluxReference, IFluxObject, ImportedFluxObject, renderRef } from '../core/flux-object.js';
import { Checks, q } from '../core/rules.js';
import type { GitRepositoryRef, IGitRepository } from '../source/git-repository.js';

/** The author of the automation's commits. */
export interface CommitAuthor {
  /** The author's email. */
  readonly email: string;
  /** The author's name. @default - none */
  readonly name?: string;
}

/** The key that signs the automation's commits. */
export interface CommitSigningKey {
  /** A Secret with the key: `git.asc` (and `passphrase`) for OpenPGP, `identity` (and `password`) for SSH. */
  readonly secretRef: SecretReference;
  /** The key format; `ssh` needs an image-automation-controller with SSH commit signing. @default "gpg" */
  readonly type?: 'gpg' | 'ssh';
}

/** How the automation commits. */
export interface ImageUpdateCommit {
  /** The commits' author. */
  readonly author: CommitAuthor;
  /** Sign the commits. @default - unsigned commits */
  readonly signingKey?: CommitSigningKey;
  /** A Go template of the commit message; `.Changed` lists the changes. @default - Flux's message listing the changes */
  readonly messageTemplate?: string;
  /** Extra values for the template, as `.Values.<key>`. @default - none */
  readonly messageTemplateValues?: Record<string, string>;
}

/** Where the automation pushes its commits. */
export interface ImageUpdatePush {
  /** Push to this branch, created from the checkout if missing. @default - the branch checked out */
  readonly branch?: string;
  /** Push with this refspec too, e.g. `refs/heads/main:refs/heads/auto`; no deletes or force updates. @default - none */
  readonly refspec?: string;
  /** Git push options, e.g. `{ 'merge_request.create': '' }` for GitLab. @default - none */
  readonly options?: Record<string, string>;
}

/** What an automation checks out. */
export interface ImageUpdateCheckout {
  /** The revision: a branch, or a tag, semver range, reference or commit (with `push.branch` set). */
  readonly ref: GitRepositoryRef;
}

/** The Git side of the automation. */
export interface ImageUpdateGitSpec {
  /** What to check out: a branch, or a tag, semver range, reference or commit with `push.branch` set. @default - the GitRepository's own `ref` */
  readonly checkout?: ImageUpdateCheckout;
  /** How to commit. */
  readonly commit: ImageUpdateCommit;
  /** Where to push. @default - back to the branch checked out */
  readonly push?: ImageUpdatePush;
}

/** What the automation rewrites. */
export interface ImageUpdateStrategy {
  /** The folder whose manifests are updated, relative to the repository root, e.g. `./clusters/production`. @default - the repository root */
  readonly path?: string;
  /** How manifests are updated: `Setters` rewrites fields marked with `# {"$imagepolicy": "<namespace>:<policy>"}`. @default "Setters" */
  readonly strategy?: 'Setters';
}

/** A label selector over ImagePolicies. */
export interface ImagePolicySelector {
  /** Labels a policy must carry. @default - none */
  readonly matchLabels?: Record<string, string>;
  /** Label requirements a policy must meet. @default - none */
  readonly matchExpressions?: LabelSelectorRequirement[];
}

/** Props of an {@link ImageUpdateAutomation}. */
export interface ImageUpdateAutomationProps extends FluxObjectProps {
  /** The GitRepository to update; its credentials must allow pushing. */
  readonly sourceRef: IGitRepository;
  /** What to check out, how to commit and where to push. */
  readonly git: ImageUpdateGitSpec;
  /** What to rewrite. @default - the whole repository, with the Setters strategy */
  readonly update?: ImageUpdateStrategy;
  /** Which ImagePolicies of the namespace apply. @default - every ImagePolicy in the namespace */
  readonly policySelector?: ImagePolicySelector;
  /** How often to run the automation. @default 10m */
  readonly interval?: FluxDuration;
  /** Stop running. @default false */
  readonly suspend?: boolean;
}

/** A ImageUpdateAutomation, as other objects may reference it. */
export interface IImageUpdateAutomation extends IFluxObject {
  readonly kind: 'ImageUpdateAutomation';
}

/**
 * An ImageUpdateAutomation (`image.toolkit.fluxcd.io/v1`): rewrites the image references of a Git repository to the
 * images its ImagePolicies elect, then commits and pushes.
 */
export class ImageUpdateAutomation extends FluxObject implements IImageUpdateAutomation {
  /** References an ImageUpdateAutomation managed elsewhere. */
  public static fromName(scope: Construct, id: string, name: string, options: FromNameOptions = {}): IImageUpdateAutomation {
    return new ImportedFluxObject(scope, id, { apiVersion: API_VERSION.image, kind: 'ImageUpdateAutomation', name, namespace: options.namespace }) as IImageUpdateAutomation;
  }

  declare public readonly kind: 'ImageUpdateAutomation';

  /** The props, as given. */
  public readonly props: ImageUpdateAutomationProps;

  public constructor(scope: Construct, id: string, props: ImageUpdateAutomationProps) {
    super(scope, id, props, {
      apiVersion: API_VERSION.image,
      kind: 'ImageUpdateAutomation',
    });
    this.props = props;
  }

  public references(): FluxReference[] {
    return [{ field: 'spec.sourceRef', target: this.props.sourceRef, kinds: ['GitRepository'], source: true }];
  }

  /** @internal */
  protected renderSpec(): object {
    const p = this.props;
    const g = p.git;
    const spec = {
      sourceRef: renderRef(this, p.sourceRef),
      git: {
        checkout: g.checkout ? { ref: { ...g.checkout.ref } } : undefined,
        commit: {
          author: { name: g.commit.author.name, email: g.commit.author.email },
          signingKey: g.commit.signingKey ? {
            secretRef: { name: g.commit.signingKey.secretRef.name },
            ...(g.commit.signingKey.type ? { type: g.commit.signingKey.type } : {}),
          } : undefined,
          messageTemplate: g.commit.messageTemplate,
          messageTemplateValues: g.commit.messageTemplateValues ? { ...g.commit.messageTemplateValues } : undefined,
        },
        push: g.push ? { branch: g.push.branch, refspec: g.push.refspec, options: g.push.options ? { ...g.push.options } : undefined } : undefined,
      },
      interval: renderDuration(p.interval ?? '10m'),
      update: p.update ? { path: p.update.path, strategy: p.update.strategy ?? 'Setters' } : undefined,
      policySelector: p.policySelector ? {
        matchLabels: p.policySelector.matchLabels ? { ...p.policySelector.matchLabels } : undefined,
        matchExpressions: p.policySelector.matchExpressions?.map((e) => ({
          key: e.key,
          operator: e.operator,
          values: e.values ? [...e.values] : undefined,
        })),
      } : undefined,
      suspend: p.suspend,
    };
    return spec;
  }

  /** @internal */
  protected validateProps(c: Checks): void {
    const p = this.props;
    const g = p.git;
    c.duration('spec.interval', p.interval);
    c.relativePath('spec.update.path', p.update?.path);
    c.oneOf('spec.update.strategy', p.update?.strategy, ['Setters']);
    const email = g.commit.author.email;
    if (!/^[^@\s]+@[^@\s]+$/.test(email ?? '')) {
      c.add(`spec.git.commit.author.email ${q(email)} is not an email address; use e.g. "fluxcdbot@users.noreply.github.com"`);
    }
    c.oneOf('spec.git.commit.signingKey.type', g.commit.signingKey?.type, ['gpg', 'ssh']);
    if (g.commit.messageTemplate !== undefined && /\.Updated\b/.test(g.commit.messageTemplate)) {
      c.add('spec.git.commit.messageTemplate uses .Updated, which Flux removed; use .Changed (e.g. {{ range .Changed.Changes }}{{ .OldValue }} -> {{ .NewValue }}{{ end }})');
    }
    const ref = g.checkout?.ref;
    if (ref && Object.values(ref).every((v) => v === undefined || v === '')) {
      c.add('spec.git.checkout.ref names nothing; set a branch (or tag, semver, name, commit), or drop spec.git.checkout to use the GitRepository\'s ref');
    }
    c.semverRange('spec.git.checkout.ref.semver', ref?.semver);
    const detached = ref !== undefined && ref.branch === undefined && (ref.tag ?? ref.semver ?? ref.commit ?? ref.name) !== undefined
      && !(ref.name ?? '').startsWith('refs/heads/');
    if (detached && !g.push?.branch && !g.push?.refspec) {
      c.add(`spec.git.checkout.ref ${q(ref)} is not a branch, so there is nothing to push back to; set spec.git.push.branch (or push.refspec)`);
    }
    if (g.push?.refspec !== undefined && /^[+:]/.test(g.push.refspec)) {
      c.add(`spec.git.push.refspec ${q(g.push.refspec)} ${g.push.refspec.startsWith('+') ? 'force-updates' : 'deletes'} a reference, which Flux refuses; use <src>:<dst>, e.g. "refs/heads/main:refs/heads/image-updates"`);
    }
    if (g.push?.branch !== undefined) checkBranchName(c, 'spec.git.push.branch', g.push.branch);
    if (ref?.branch !== undefined) checkBranchName(c, 'spec.git.checkout.ref.branch', ref.branch);
  }
}

/** A branch name as Git accepts it (git check-ref-format), without the `refs/heads/` prefix. */
function checkBranchName(c: Checks, field: string, value: string): void {
  const bad = value === '' || value.startsWith('refs/') || value.startsWith('-') || value.startsWith('/') || value.endsWith('/')
    || value.endsWith('.') || value.endsWith('.lock') || value.includes('..') || value.includes('//') || value.includes('@{')
    || /[\s~^:?*[\\\x00-\x1f\x7f]/.test(value);
  if (bad) {
    const fix = value.startsWith('refs/heads/') ? value.slice('refs/heads/'.length) : 'e.g. "image-updates"';
    c.add(`${field} ${q(value)} is not a valid branch name; use a plain branch name, ${value.startsWith('refs/heads/') ? q(fix) : fix}`);
  }
}
