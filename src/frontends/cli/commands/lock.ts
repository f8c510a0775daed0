import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { DeliveryError } from '../../../delivery/artifacts.js';
import { Destinations } from '../../../delivery/destinations.js';
import { resolveLock, type LockChange } from '../../../delivery/lock.js';
import { describeLockRef, lockKey, parseLockFile, renderLockFile, type LockEntry, type LockRequest } from '../../../fleet/fleet-lock.js';
import { LOCK_REQUESTS_ENV, type LockRequestsFile } from '../../cdk8s/flux-app.js';
import { EXIT, parseArgs, UsageError, type CliIo, type Command } from '../args.js';
import { listOption, numberOption, REGISTRY_OPTIONS, REGISTRY_OPTIONS_HELP, registryOptions, stringOption } from '../options.js';

const LOCK_USAGE = `Usage: flux-fleet lock [--app <command>] [--update | --update-upstream <url>,...] [--check] [options]

Writes the fleet's lock file (flux-fleet.lock in the fleet's baseDir, unless the fleet names another): every upstream
tag or semver range that production pulls a chart or an artifact at is resolved once, to the digest its tag points
at, and recorded with what it is for. Synth pins production to those digests, so an upstream re-tag changes nothing
until the lock changes: commit the file, and review its changes like package-lock.json. What the lock records is
kept; refs production no longer pulls are dropped.

It learns what production pulls by running the fleet program (--app) with ${LOCK_REQUESTS_ENV} set, in which mode
synth writes that list instead of the tree.

Options:
  --app <command>                 The command that synthesizes the fleet (default: the app of cdk8s.yaml, else
                                  npm run synth)
  --update                        Resolve again every entry the lock records, e.g. after a reviewed upstream release
  --update-upstream <url>,...     Resolve again only the entries of these upstreams (oci://...)
  --check                         Change nothing; exit 1 when the lock is not what it would write
  --concurrency <n>               Upstream refs resolved at once (default: 4)
${REGISTRY_OPTIONS_HELP}
                                  (--creds goes to no upstream: they are reached anonymously or with the Docker config)
  -h, --help                      Show this help

Exit codes: 0 written (or, with --check, up to date), 1 a ref cannot be resolved or the lock is out of date, 2 usage error.
`;

/** \`flux-fleet lock\`: resolves production's upstream refs to digests, in the lock file. */
export const lockCommand: Command = {
  summary: 'lock              Resolve the upstream tags and ranges production pulls to digests, in flux-fleet.lock',
  run: lock,
};

async function lock(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, {
    ...REGISTRY_OPTIONS, 'help': {}, 'app': { value: true }, 'update': {}, 'update-upstream': { value: true }, 'check': {}, 'concurrency': { value: true },
  });
  if (args.options.has('help')) {
    io.stdout.write(LOCK_USAGE);
    return EXIT.ok;
  }
  if (args.positionals.length > 0) throw new UsageError('lock takes no folder: it runs the fleet program (--app) to learn what production pulls');
  const cwd = io.cwd ?? process.cwd();
  const app = stringOption(args, 'app') ?? await cdk8sApp(cwd) ?? 'npm run synth';
  const update = args.options.has('update') ? true : listOption(args, 'update-upstream') ?? false;
  const requested = await runForRequests(app, cwd);
  const byFile = new Map<string, LockRequest[]>();
  for (const fleet of requested.fleets) {
    if (fleet.lockFile === undefined) {
      if (fleet.requests.length > 0) io.stderr.write(`warning: fleet ${fleet.fleet} takes its lock as entries (FleetLock.of), not from a file: nothing to write for it\n`);
      continue;
    }
    byFile.set(fleet.lockFile, mergeRequests([...(byFile.get(fleet.lockFile) ?? []), ...fleet.requests]));
  }
  const destinations = new Destinations(registryOptions(args, io, []));
  let outdated = false;
  try {
    for (const [file, requests] of [...byFile].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const before = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return undefined;
        throw e;
      });
      let existing: LockEntry[] = [];
      if (before !== undefined) {
        const parsed = parseLockFile(before, file);
        if (parsed.problems.length > 0 && update !== true) throw new DeliveryError(`${parsed.problems.join('\n')}; or run flux-fleet lock --update to resolve every entry again`);
        existing = parsed.entries;
      }
      const { entries, changes } = await resolveLock(requests, existing, { destinations, update, concurrency: numberOption(args, 'concurrency', 1) });
      const text = renderLockFile(entries);
      for (const c of changes.sort((a, b) => (lockKey(a.upstream, a.ref) < lockKey(b.upstream, b.ref) ? -1 : 1))) io.stdout.write(`${describeChange(c)}\n`);
      if (text === before) {
        io.stdout.write(`${file} is up to date (${entries.length} entr${entries.length === 1 ? 'y' : 'ies'})\n`);
      } else if (args.options.has('check')) {
        io.stderr.write(`${file} is out of date: run flux-fleet lock${update === false ? '' : ' --update'} and commit it\n`);
        outdated = true;
      } else {
        await writeAtomically(file, text);
        io.stdout.write(`wrote ${file} (${entries.length} entr${entries.length === 1 ? 'y' : 'ies'})\n`);
      }
    }
    if (byFile.size === 0) io.stdout.write('production pulls no upstream tag or range: no lock to write\n');
    return outdated ? EXIT.errors : EXIT.ok;
  } finally {
    destinations.close();
  }
}

/** The `app` command of the cdk8s.yaml in `cwd`, if any. */
async function cdk8sApp(cwd: string): Promise<string | undefined> {
  const text = await readFile(join(cwd, 'cdk8s.yaml'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const app = (parse(text) as { app?: unknown } | null)?.app;
  return typeof app === 'string' && app.trim() !== '' ? app : undefined;
}

/** Runs the fleet program in request mode and reads what it wrote. */
async function runForRequests(app: string, cwd: string): Promise<LockRequestsFile> {
  const dir = await mkdtemp(join(tmpdir(), 'flux-fleet-lock-'));
  const file = join(dir, 'requests.json');
  try {
    const { code, output } = await new Promise<{ code: number | null; output: string }>((done, fail) => {
      const child = spawn(app, { cwd, shell: true, env: { ...process.env, [LOCK_REQUESTS_ENV]: file, CDK8S_OUTDIR: join(dir, 'out') }, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      const keep = (d: Buffer) => { text = (text + d.toString()).slice(-8192); };
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      child.on('error', fail);
      child.on('close', (c) => done({ code: c, output: text }));
    });
    const written = await readFile(file, 'utf8').catch(() => undefined);
    if (code !== 0 || written === undefined) {
      throw new DeliveryError(`the fleet program (${app}) ${code !== 0 ? `exited with ${code}` : 'wrote no lock requests: does it synthesize a FluxApp?'}` +
        `${output.trim() ? `:\n${output.trim()}` : ''}\ngive the command that synthesizes the fleet with --app, e.g. --app "npx tsx main.ts"`);
    }
    return JSON.parse(written) as LockRequestsFile;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Requests for one lock file from several fleets: one per upstream ref, with every use. */
function mergeRequests(requests: readonly LockRequest[]): LockRequest[] {
  const merged = new Map<string, LockRequest>();
  for (const r of requests) {
    const key = lockKey(r.upstream, r.ref);
    const before = merged.get(key);
    merged.set(key, before ? { ...before, usedBy: [...before.usedBy, ...r.usedBy] } : r);
  }
  return [...merged.values()];
}

function describeChange(c: LockChange): string {
  const what = `${c.upstream} ${describeLockRef(c.ref)}`;
  switch (c.action) {
    case 'added': return `added ${what} -> ${c.tag} ${c.digest}`;
    case 'kept': return `kept ${what} -> ${c.tag} ${c.digest}`;
    case 'updated': return `updated ${what} -> ${c.tag} ${c.digest} (was ${c.was!.tag} ${c.was!.digest})`;
    case 'removed': return `removed ${what} (production no longer pulls it)`;
  }
}

/** Writes a file through a temporary sibling and a rename, so that a reader never sees half of it. */
async function writeAtomically(file: string, text: string): Promise<void> {
  const folder = dirname(resolve(file));
  await mkdir(folder, { recursive: true });
  const temp = join(folder, `.${Date.now()}-${process.pid}.flux-fleet-lock.tmp`);
  await writeFile(temp, text);
  await rename(temp, file);
}
