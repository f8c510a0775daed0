import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { clusterArtifactsFromTree, DeliveryError, wholeTreeArtifact, type DeliveryArtifact } from '../../../delivery/artifacts.js';
import { Destinations, type DestinationOptions } from '../../../delivery/destinations.js';
import { pushArtifacts, type PushEvent, type PushedTarget } from '../../../delivery/push.js';
import type { ArtifactMetadata } from '../../../flux/artifact/artifact.js';
import { basicCredentials, chainCredentials, dockerConfigCredentials } from '../../../delivery/oci/auth.js';
import { formatSize, shortDigest } from '../../../flux/artifact/digest.js';
import { signPushedFromArgs, SIGN_ON_PUSH_HELP, SIGN_ON_PUSH_OPTIONS } from './signer-options.js';
import { EXIT, parseArgs, UsageError, type OptionSpec, type ParsedArgs, CliIo, Command } from '../args.js';

/** The options every command that reaches registries takes. */
export const REGISTRY_OPTIONS: Record<string, OptionSpec> = {
  'host-alias': { value: true },
  'plain-http': {},
  'creds': { value: true },
  'docker-config': { value: true },
  'retries': { value: true },
};

/** Their help lines. */
export const REGISTRY_OPTIONS_HELP = `  --host-alias <host>=<to>[,...]  Reach a registry host at another address (e.g. a local mirror)
  --plain-http                    Reach registries over plain HTTP (loopback hosts always are)
  --creds <user>:<password>       Credentials for every registry (default: the Docker config)
  --docker-config <file>          The Docker config.json with credentials (default: $DOCKER_CONFIG or ~/.docker)
  --retries <n>                   Retries of a failed request, with backoff (default: 4)`;

/** The destination options of the registry options given. */
export function registryOptions(args: ParsedArgs, io: CliIo): DestinationOptions {
  const aliases: Record<string, string> = {};
  const aliasText = stringOption(args, 'host-alias');
  if (aliasText !== undefined) {
    for (const pair of aliasText.split(',').filter(Boolean)) {
      const eq = pair.indexOf('=');
      if (eq <= 0 || eq === pair.length - 1) throw new UsageError(`--host-alias ${JSON.stringify(pair)} is not <host>=<address>; use e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com=127.0.0.1:5000`);
      aliases[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  const creds = stringOption(args, 'creds');
  if (creds !== undefined && !creds.includes(':')) throw new UsageError('--creds needs <user>:<password>');
  const dockerConfig = stringOption(args, 'docker-config');
  const fromConfig = dockerConfigCredentials(dockerConfig !== undefined ? { path: resolve(io.cwd ?? process.cwd(), dockerConfig) } : {});
  const credentials = creds !== undefined
    ? chainCredentials(basicCredentials(creds.slice(0, creds.indexOf(':')), creds.slice(creds.indexOf(':') + 1)), fromConfig)
    : fromConfig;
  const retries = numberOption(args, 'retries', 0);
  return {
    hostAliases: aliases,
    plainHttp: args.options.has('plain-http') || undefined,
    credentials,
    ...(retries !== undefined ? { retry: { retries } } : {}),
  };
}

/** A string option's value; a flag given without value is a usage error. */
export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const v = args.options.get(name);
  return typeof v === 'string' ? v : undefined;
}

/** A whole-number option of at least `min`. */
export function numberOption(args: ParsedArgs, name: string, min: number): number | undefined {
  const v = stringOption(args, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} ${JSON.stringify(v)} is not a whole number of at least ${min}`);
  return n;
}

/** Comma-separated values of an option. */
export function listOption(args: ParsedArgs, name: string): string[] | undefined {
  const v = stringOption(args, name);
  return v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter(Boolean);
}

/** The artifacts of a tree folder: one per cluster, or the whole tree with `--whole-tree`. */
export async function treeArtifacts(args: ParsedArgs, io: CliIo, command: string): Promise<{ artifacts: DeliveryArtifact[]; whole: boolean }> {
  if (args.positionals.length !== 1) {
    throw new UsageError(args.positionals.length === 0 ? `${command} needs the synthesized folder: flux-fleet ${command} <dir>` : `${command} takes one folder, got ${args.positionals.length}`);
  }
  const dir = resolve(io.cwd ?? process.cwd(), args.positionals[0]);
  let clusters: DeliveryArtifact[];
  try {
    clusters = await clusterArtifactsFromTree(dir);
  } catch (e) {
    if (e instanceof DeliveryError) throw new UsageError(`cannot ${command} ${JSON.stringify(args.positionals[0])}: ${e.message}`);
    throw e;
  }
  if (!args.options.has('whole-tree')) return { artifacts: clusters, whole: false };
  return { artifacts: [wholeTreeArtifact(clusters, { path: stringOption(args, 'whole-tree-path') })], whole: true };
}

/** Where artifacts go: the registries with `--registry`, else an OCI image layout folder. */
export function destinationsOf(args: ParsedArgs, io: CliIo): Destinations {
  const options = registryOptions(args, io);
  if (args.options.has('registry')) {
    if (args.options.has('layout')) throw new UsageError('--registry and --layout exclude each other');
    return new Destinations(options);
  }
  return new Destinations({ ...options, layout: resolve(io.cwd ?? process.cwd(), stringOption(args, 'layout') ?? 'oci-layout') });
}

const PUSH_USAGE = `Usage: flux-fleet push <dir> [--registry | --layout <folder>] [options]

Packs each cluster's folder of the synthesized tree in <dir> (clusters/<cluster>/) as a Flux OCI artifact and pushes
it where that cluster pulls it (the URL and tag of its bootstrap's sync), in parallel, printing each digest.
Unchanged blobs are not sent again; tags are set last, so a failed push leaves no tag pointing at missing blobs.

Options:
  --registry                      Push to the registries (default: an OCI image layout folder)
  --layout <folder>               The OCI image layout folder (default: oci-layout); one layout per repository,
                                  at <folder>/<host>/<repository>
  --tag <tag>[,...]               Tag every artifact with these tags instead of each cluster's own tag
  --whole-tree                    One artifact holding every cluster's folder, to each region's registry
  --whole-tree-path <path>        Its repository beside clusters/ (default: fleet); its tag is --tag (default: latest)
  --source <url>                  The source annotation (default: $GITHUB_SERVER_URL/$GITHUB_REPOSITORY in GitHub Actions)
  --revision <rev>                The revision annotation, e.g. main@sha1:<commit> (default: from GitHub Actions)
  --created <time>                The created annotation, RFC 3339 (default: $SOURCE_DATE_EPOCH, else 1970-01-01T00:00:00Z,
                                  so that the same tree gives the same digest)
  --concurrency <n>               Artifacts pushed at once (default: 4)
  --digests-file <file>           Write <host>/<repository>@<digest> of each pushed artifact, a line each (for signing)
  --progress auto|tty|plain       A live display on a terminal, or a line per artifact (default: auto; plain in CI)
  --format text|json              How to print the result (default: text)
${SIGN_ON_PUSH_HELP}
${REGISTRY_OPTIONS_HELP}
  -h, --help                      Show this help

Exit codes: 0 all pushed, 1 some push failed, 2 usage error.
`;

/** `flux-fleet push <dir>`: packs and pushes every cluster's artifact. */
export const pushCommand: Command = {
  summary: 'push <dir>        Pack each cluster\'s folder as a Flux OCI artifact and push it to its region\'s\n                    registry (or an OCI image layout folder)',
  run: push,
};

async function push(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, {
    ...REGISTRY_OPTIONS,
    'help': {},
    'registry': {},
    'layout': { value: true },
    'tag': { value: true },
    'whole-tree': {},
    'whole-tree-path': { value: true },
    'source': { value: true },
    'revision': { value: true },
    'created': { value: true },
    'concurrency': { value: true },
    'digests-file': { value: true },
    'progress': { value: true },
    'format': { value: true },
    ...SIGN_ON_PUSH_OPTIONS,
  });
  if (args.options.has('help')) {
    io.stdout.write(PUSH_USAGE);
    return EXIT.ok;
  }
  const format = stringOption(args, 'format') ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format ${JSON.stringify(format)} is not a format; use text or json`);
  const progressMode = stringOption(args, 'progress') ?? 'auto';
  if (!['auto', 'tty', 'plain'].includes(progressMode)) throw new UsageError(`--progress ${JSON.stringify(progressMode)} is not a mode; use auto, tty or plain`);
  const concurrency = numberOption(args, 'concurrency', 1) ?? 4;
  const { artifacts, whole } = await treeArtifacts(args, io, 'push');
  let tags = listOption(args, 'tag');
  if (whole && tags === undefined) tags = ['latest'];
  const metadata = metadataOf(args);
  const destinations = destinationsOf(args, io);
  const live = format === 'text' && (progressMode === 'tty' || (progressMode === 'auto' && (io.stdout as { isTTY?: boolean }).isTTY === true && !process.env.CI));
  const display = live ? new LiveDisplay(io) : undefined;
  let report;
  try {
    report = await pushArtifacts(artifacts, {
      destinations,
      metadata,
      tags,
      concurrency,
      onEvent: (e) => {
        if (display) display.update(e);
        else if (format === 'text') plainEvent(e, io);
      },
    });
  } catch (e) {
    destinations.close();
    throw new UsageError(`cannot push: ${(e as Error).message}`);
  }
  display?.finish();
  const signFailed = await signPushedFromArgs(args, io, report.pushed, destinations);
  destinations.close();

  const digestsFile = stringOption(args, 'digests-file');
  if (digestsFile !== undefined) {
    const lines = report.pushed.filter((p) => p.location.startsWith('oci://')).map((p) => `${p.location.slice('oci://'.length)}@${p.digest}`);
    await writeFile(resolve(io.cwd ?? process.cwd(), digestsFile), lines.length > 0 ? `${lines.join('\n')}\n` : '');
  }
  if (format === 'json') {
    io.stdout.write(`${JSON.stringify({
      pushed: report.pushed,
      failed: report.failed.map((f) => ({ artifact: f.artifact, location: f.location, error: f.error.message })),
    }, null, 2)}\n`);
  } else {
    io.stdout.write(summary(report.pushed, report.failed.length, destinations.isLayout ? destinations.options.layout : undefined));
  }
  return report.failed.length === 0 && !signFailed ? EXIT.ok : EXIT.errors;
}

/** The annotations: flags first, then GitHub Actions' environment, then SOURCE_DATE_EPOCH for the time. */
function metadataOf(args: ParsedArgs): ArtifactMetadata {
  const env = process.env;
  const source = stringOption(args, 'source') ?? (env.GITHUB_ACTIONS === 'true' && env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}` : undefined);
  const revision = stringOption(args, 'revision') ?? (env.GITHUB_ACTIONS === 'true' && env.GITHUB_REF_NAME && env.GITHUB_SHA ? `${env.GITHUB_REF_NAME}@sha1:${env.GITHUB_SHA}` : undefined);
  let created = stringOption(args, 'created');
  if (created === undefined && env.SOURCE_DATE_EPOCH && /^\d+$/.test(env.SOURCE_DATE_EPOCH)) {
    created = new Date(Number(env.SOURCE_DATE_EPOCH) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  return {
    ...(created !== undefined ? { created } : {}),
    ...(source !== undefined ? { source } : {}),
    ...(revision !== undefined ? { revision } : {}),
  };
}

function blobsText(r: PushedTarget): string {
  const parts = [`${r.uploaded} uploaded`];
  if (r.mounted > 0) parts.push(`${r.mounted} mounted`);
  parts.push(`${r.existing} unchanged`);
  return `blobs: ${parts.join(', ')}`;
}

function plainEvent(e: PushEvent, io: CliIo): void {
  if (e.type === 'done') {
    io.stdout.write(`pushed ${e.artifact} ${e.location}:${e.result.tags.join(',')} ${e.result.digest} (${blobsText(e.result)})\n`);
  } else if (e.type === 'failed') {
    io.stderr.write(`failed ${e.artifact} ${e.location}: ${e.error.message}\n`);
  }
}

function summary(pushed: readonly PushedTarget[], failed: number, layout: string | undefined): string {
  const sum = (k: 'uploaded' | 'mounted' | 'existing' | 'bytesUploaded') => pushed.reduce((n, p) => n + p[k], 0);
  const where = layout !== undefined ? ` to the OCI layout ${layout}` : '';
  const line = `${pushed.length} artifact${pushed.length === 1 ? '' : 's'} pushed${where}; blobs: ${sum('uploaded')} uploaded (${formatSize(sum('bytesUploaded'))}), ${sum('mounted')} mounted, ${sum('existing')} unchanged`;
  return failed > 0 ? `${line}\n${failed} failed; no tag was set for them\n` : `${line}\n`;
}

/** A display that redraws one line per artifact on a terminal. */
class LiveDisplay {
  private readonly lines = new Map<string, string>();
  private drawn = 0;
  private readonly frames = ['-', '\\', '|', '/'];
  private tick = 0;

  public constructor(private readonly io: CliIo) {}

  public update(e: PushEvent): void {
    const key = `${e.artifact} ${e.location}`;
    const name = e.artifact.padEnd(16);
    if (e.type === 'start') this.lines.set(key, `${this.spin()} ${name} ${e.location}  packing`);
    if (e.type === 'blob') this.lines.set(key, `${this.spin()} ${name} ${e.location}  ${e.blob} ${e.outcome} (${formatSize(e.size)})`);
    if (e.type === 'done') this.lines.set(key, `\u2713 ${name} ${e.location}:${e.result.tags.join(',')}  ${shortDigest(e.result.digest)}  ${blobsText(e.result)}`);
    if (e.type === 'failed') this.lines.set(key, `\u2717 ${name} ${e.location}  ${e.error.message}`);
    this.draw();
  }

  public finish(): void {
    this.draw();
  }

  private spin(): string {
    return this.frames[this.tick++ % this.frames.length];
  }

  private draw(): void {
    let out = this.drawn > 0 ? `\u001b[${this.drawn}A` : '';
    for (const line of this.lines.values()) out += `\r\u001b[2K${line}\n`;
    this.drawn = this.lines.size;
    this.io.stdout.write(out);
  }
}
