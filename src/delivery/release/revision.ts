import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ANNOTATIONS } from '../../flux/artifact/media-types.js';
import { DeliveryError } from '../artifacts.js';
import { isTag } from '../oci/reference.js';

const run = promisify(execFile);

/** The source revision a push is made from. */
export interface Revision {
  /** What names it in tags: the commit (`4b825dc6...`) or the revision given, e.g. `v1.4.0`. */
  readonly id: string;
  /** The revision annotation of the artifacts, as Flux shows it: `main@sha1:<commit>`, `sha1:<commit>`, or as given. */
  readonly annotation: string;
  /** Where it came from, for messages: `--revision`, `GITHUB_SHA` or `git rev-parse HEAD`. */
  readonly from: string;
}

/** Prefix of the candidate tag of a revision: every cluster's config gets `rev-<revision>` on push. */
export const CANDIDATE_PREFIX = 'rev-';

/** The tag a cluster's config of a revision is pushed under, e.g. `rev-4b825dc642cb...`. */
export function candidateTag(revision: string | Revision): string {
  const id = typeof revision === 'string' ? parseRevision(revision).id : revision.id;
  return `${CANDIDATE_PREFIX}${id}`;
}

/**
 * Reads a revision as given on the command line: `main@sha1:<commit>` (what the revision annotation holds), a commit
 * (`<40 hex>`, or an abbreviation), or another name that is valid in a tag (`v1.4.0`).
 */
export function parseRevision(value: string, refName?: string): Revision {
  const full = /^(.+)@sha1:([0-9a-f]{40})$/.exec(value);
  if (full) return { id: full[2], annotation: value, from: '--revision' };
  if (/^sha1:[0-9a-f]{40}$/.test(value)) return { id: value.slice(5), annotation: value, from: '--revision' };
  if (/^[0-9a-f]{40}$/.test(value)) return { id: value, annotation: refName ? `${refName}@sha1:${value}` : `sha1:${value}`, from: '--revision' };
  if (!isTag(`${CANDIDATE_PREFIX}${value}`)) {
    throw new DeliveryError(`revision ${JSON.stringify(value)} cannot name a tag; give the commit (40 hex digits), <branch>@sha1:<commit>, or a name of letters, digits, '.', '_' and '-'`);
  }
  return { id: value, annotation: value, from: '--revision' };
}

/** Where {@link resolveRevision} looks. */
export interface RevisionSources {
  /** The revision given (`--revision`). @default - none */
  readonly given?: string;
  /** The environment: `GITHUB_SHA` and `GITHUB_REF_NAME` are read. @default - process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** A folder inside the Git checkout of the tree, for `git rev-parse HEAD`. @default - none */
  readonly gitDir?: string;
}

/**
 * The revision of a push: the one given, else `$GITHUB_SHA` (on branch `$GITHUB_REF_NAME`), else the commit checked
 * out where the tree is (`git rev-parse HEAD`). Throws, saying how to set it, when none is known.
 */
export async function resolveRevision(sources: RevisionSources): Promise<Revision> {
  const env = sources.env ?? process.env;
  if (sources.given !== undefined) return parseRevision(sources.given, env.GITHUB_REF_NAME);
  if (env.GITHUB_SHA && /^[0-9a-f]{40}$/.test(env.GITHUB_SHA)) {
    return { ...parseRevision(env.GITHUB_SHA, env.GITHUB_REF_NAME), from: 'GITHUB_SHA' };
  }
  if (sources.gitDir !== undefined) {
    try {
      const sha = (await run('git', ['-C', sources.gitDir, 'rev-parse', 'HEAD'], { timeout: 10_000 })).stdout.trim();
      if (/^[0-9a-f]{40}$/.test(sha)) {
        const branch = (await run('git', ['-C', sources.gitDir, 'rev-parse', '--abbrev-ref', 'HEAD'], { timeout: 10_000 }).catch(() => ({ stdout: '' }))).stdout.trim();
        return { ...parseRevision(sha, branch && branch !== 'HEAD' ? branch : undefined), from: 'git rev-parse HEAD' };
      }
    } catch {
      // Not a Git checkout, or no git: the message below says what to do.
    }
  }
  throw new DeliveryError('the revision is unknown, so there is no candidate tag to push; give --revision <commit> (e.g. --revision "main@sha1:$(git rev-parse HEAD)"), set GITHUB_SHA, or push from the Git checkout of the tree');
}

/** The revision annotation of a manifest (what push wrote, e.g. `main@sha1:<commit>`), when it has one. */
export function revisionAnnotationOf(manifest: Buffer): string | undefined {
  try {
    const value = (JSON.parse(manifest.toString('utf8')) as { annotations?: Record<string, unknown> }).annotations?.[ANNOTATIONS.revision];
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
