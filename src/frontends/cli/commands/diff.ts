import { resolve } from 'node:path';
import {
  diffFleetTrees, formatFleetDiff, gitLocationOf, isGitIgnored, readTreeAtGitRef, readTreeFolder,
} from '../../../output/review/index.js';
import type { DiffFormat, TreeSnapshot } from '../../../output/review/index.js';
import { EXIT, parseArgs, UsageError } from '../args.js';
import type { CliIo, Command } from '../args.js';
import { formatOption } from '../options.js';

const DIFF_USAGE = `Usage: flux-fleet diff <old> <new> [--format text|markdown] [--max-chars <n>]

Compares two synthesized config-repo trees and prints which clusters change and how: a summary by environment
and wave first, then per cluster the objects added, removed and changed, with the changed fields as
path: old → new. Objects are matched by API group, kind, namespace and name; comments do not count.

<old>, <new>   a folder holding clusters/, or git:<ref> for the other argument's folder at a git ref
               (a branch, tag or commit of the repository holding it), or git:<ref>:<path> for another
               folder of that repository (path from the repository's root)

Options:
  --format text|markdown   text for a terminal (default), markdown for a pull-request comment: each
                           cluster's detail collapsed, the whole kept under --max-chars
  --max-chars <n>          the report's largest size; cluster detail beyond it is left out with a note
                           (default: 60000 for markdown, no limit for text)
  -h, --help               Show this help

Examples:
  flux-fleet diff git:main dist                      what this branch changes in dist/
  flux-fleet diff --format markdown git:HEAD~1 dist > comment.md

A side that is empty or missing (a folder without clusters/, or a folder git ignores, as a cdk8s project ignores
dist/, read at a git ref) is said loudly at the top of the report: every cluster would show as new or removed.

Exit codes: 0 no change, 1 changes, 2 usage error.
`;

/** Exit codes of `diff`: whether anything changed. */
const DIFF_EXIT = { same: EXIT.ok, changed: 1, usage: EXIT.usage } as const;

/** `flux-fleet diff <old> <new>`: what changes, cluster by cluster, between two synthesized trees. */
export const diffCommand: Command = {
  summary: 'diff <old> <new>  Show which clusters change between two trees (or git:<ref> and a tree), by\n                    environment and wave, with a field-level diff; markdown for pull requests',
  run: diff,
};

async function diff(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { 'help': {}, 'format': { value: true }, 'max-chars': { value: true } });
  if (args.options.has('help')) {
    io.stdout.write(DIFF_USAGE);
    return DIFF_EXIT.same;
  }
  if (args.positionals.length !== 2) {
    throw new UsageError(`diff needs two trees, the old and the new: flux-fleet diff <old> <new>, e.g. flux-fleet diff git:main dist (got ${args.positionals.length})`);
  }
  const format = formatOption(args, ['text', 'markdown']);
  const maxCharsOption = args.options.get('max-chars');
  let maxChars: number | undefined;
  if (maxCharsOption !== undefined) {
    maxChars = Number(maxCharsOption);
    if (!/^[0-9]+$/.test(String(maxCharsOption)) || maxChars < 1000) {
      throw new UsageError(`--max-chars ${JSON.stringify(maxCharsOption)} is not a size; give a whole number of characters, at least 1000, e.g. 60000`);
    }
  }

  const cwd = io.cwd ?? process.cwd();
  const [oldArg, newArg] = args.positionals;
  const sides: [Side, Side] = [readSide(oldArg, newArg, cwd, 'new'), readSide(newArg, oldArg, cwd, 'removed')];
  const warnings = sides.flatMap((s, i) => (s.warning ? [`the ${i === 0 ? 'old' : 'new'} tree, ${s.warning}`] : []));
  for (const w of warnings) io.stderr.write(`flux-fleet diff: warning: ${w}\n`);
  const result = diffFleetTrees(sides[0].tree, sides[1].tree);
  io.stdout.write(warningBanner(warnings, format as DiffFormat));
  io.stdout.write(formatFleetDiff(result, { format: format as DiffFormat, maxChars }));
  return result.changed ? DIFF_EXIT.changed : DIFF_EXIT.same;
}

/** One side of the diff, and what is wrong with it when it is empty or missing. */
interface Side {
  readonly tree: TreeSnapshot;
  readonly warning?: string;
}

/** Reads one side: a folder, or `git:<ref>[:<path>]` (the path defaulting to the other side's folder). */
function readSide(arg: string, other: string, cwd: string, shownAs: 'new' | 'removed'): Side {
  const git = parseGitArg(arg);
  if (!git) {
    const tree = readTreeFolder(resolve(cwd, arg), arg);
    if (tree.files.size === 0) return { tree, warning: `${arg}, is EMPTY: the folder holds no files, so every cluster shows as ${shownAs}; synthesize into it first` };
    if (![...tree.files.keys()].some((f) => f.startsWith('clusters/'))) {
      return { tree, warning: `${arg}, holds no clusters/ folder: give the folder synth writes (the one holding clusters/)` };
    }
    return { tree };
  }
  let root: string;
  let path: string;
  if (git.path !== undefined) {
    root = gitLocationOf(cwd).root;
    path = git.path.replace(/^\.?\/+/, '').replace(/\/+$/, '');
  } else {
    if (parseGitArg(other)) {
      throw new UsageError(`both trees are git refs, so say which folder to read: git:<ref>:<path>, e.g. ${arg}:dist`);
    }
    ({ root, path } = gitLocationOf(resolve(cwd, other)));
  }
  const tree = readTreeAtGitRef(root, git.ref, path, arg);
  if (tree.exists) return { tree };
  const where = path === '' ? 'the repository root' : `${path}/`;
  if (isGitIgnored(root, path)) {
    return {
      tree,
      warning: `${arg}, is EMPTY: git ignores ${where} (.gitignore), so no commit holds it and every cluster shows as ${shownAs}. ` +
        `Compare with a tree synthesized from ${git.ref} instead, e.g. git worktree add ../${safeName(git.ref)} ${git.ref}, synthesize there, ` +
        `then flux-fleet diff ../${safeName(git.ref)}/${path} ${path}; or commit ${where}`,
    };
  }
  return { tree, warning: `${arg}, is EMPTY: ${where} holds no files at ${git.ref}, so every cluster shows as ${shownAs}` };
}

/** The warnings at the top of the report: plain lines for a terminal, a quote block for markdown. */
function warningBanner(warnings: readonly string[], format: DiffFormat): string {
  if (warnings.length === 0) return '';
  if (format === 'markdown') return warnings.map((w) => `> [!WARNING]\n> ${capitalized(w)}\n\n`).join('');
  return warnings.map((w) => `WARNING: ${w}\n`).join('') + '\n';
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A folder name for a git ref: `origin/main` as `origin-main`. */
function safeName(ref: string): string {
  return ref.replace(/[^A-Za-z0-9._-]+/g, '-');
}

function parseGitArg(arg: string): { ref: string; path?: string } | undefined {
  if (!arg.startsWith('git:')) return undefined;
  const rest = arg.slice('git:'.length);
  // Git forbids ':' in ref names, so the first one separates the path.
  const colon = rest.indexOf(':');
  const ref = colon < 0 ? rest : rest.slice(0, colon);
  if (ref === '') throw new UsageError(`${JSON.stringify(arg)} names no git ref; use e.g. git:main or git:HEAD~1`);
  return colon < 0 ? { ref } : { ref, path: rest.slice(colon + 1) };
}
