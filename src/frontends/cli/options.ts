/** The options several commands share (registries, folders, values), and how they are read. */
import { resolve } from 'node:path';
import { UsageError, type CliIo, type OptionSpec, type ParsedArgs } from './args.js';
import { clusterArtifactsFromTree, DeliveryError, wholeTreeArtifact, type DeliveryArtifact } from '../../delivery/artifacts.js';
import { Destinations, type DestinationOptions } from '../../delivery/destinations.js';
import { basicCredentials, chainCredentials, dockerConfigCredentials } from '../../delivery/oci/auth.js';
import { readReleaseManifest, ReleaseManifestError, type ReleaseManifest } from '../../output/release-manifest.js';

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

/**
 * The destination options of the registry options given.
 * @param credsHosts the hosts `--creds` is for; other hosts (e.g. where charts are published) never get them
 */
export function registryOptions(args: ParsedArgs, io: CliIo, credsHosts?: readonly string[]): DestinationOptions {
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
    ? chainCredentials(basicCredentials(creds.slice(0, creds.indexOf(':')), creds.slice(creds.indexOf(':') + 1), credsHosts), fromConfig)
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

/** The release manifest of the one folder argument; usage errors name the folder. */
export async function releaseOf(args: ParsedArgs, io: CliIo, command: string): Promise<{ dir: string; release: ReleaseManifest }> {
  if (args.positionals.length !== 1) {
    throw new UsageError(args.positionals.length === 0 ? `${command} needs the synthesized folder: flux-fleet ${command} <dir>` : `${command} takes one folder, got ${args.positionals.length}`);
  }
  const dir = resolve(io.cwd ?? process.cwd(), args.positionals[0]);
  try {
    return { dir, release: await readReleaseManifest(dir) };
  } catch (e) {
    if (e instanceof ReleaseManifestError) throw new UsageError(`cannot ${command} ${JSON.stringify(args.positionals[0])}: ${e.message}`);
    throw e;
  }
}
