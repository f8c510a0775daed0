/** The options several commands share (registries, folders, values), and how they are read. */
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { UsageError, type CliIo, type OptionSpec, type ParsedArgs } from './args.js';
import { DeliveryError } from '../../delivery/artifacts.js';
import { Destinations, type DestinationOptions } from '../../delivery/destinations.js';
import { DEFAULT_TOKEN_VARIABLES } from '../../delivery/health/health-source.js';
import type { HealthOptions } from '../../delivery/health/health.js';
import { basicCredentials, chainCredentials, dockerConfigCredentials } from '../../delivery/oci/auth.js';
import type { RegistryRepository } from '../../delivery/oci/client.js';
import { OciLayout } from '../../delivery/oci/layout.js';
import { parseReference, parseRegistryReference } from '../../delivery/oci/reference.js';
import type { ArtifactStore } from '../../delivery/oci/store.js';
import type { VerificationMaterialOptions } from '../../delivery/release/verification.js';
import type { SignTarget } from '../../delivery/signing/sign.js';
import { publicSigstoreRoot } from '../../delivery/signing/trusted-root.js';
import { durationMs } from '../../fleet/rollout.js';
import { readReleaseManifest, RELEASE_MANIFEST_FILE, type ReleaseManifest } from '../../output/release-manifest.js';

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

/** `--format`: one of `formats`, the first when not given. */
export function formatOption<F extends string>(args: ParsedArgs, formats: readonly [F, ...F[]]): F {
  const format = stringOption(args, 'format') ?? formats[0];
  if (!(formats as readonly string[]).includes(format)) {
    const choices = `${formats.slice(0, -1).join(', ')} or ${formats[formats.length - 1]}`;
    throw new UsageError(`--format ${JSON.stringify(format)} is not a format; use ${choices}`);
  }
  return format as F;
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

/** Where artifacts go: the registries with `--registry`, else an OCI image layout folder. */
export function destinationsOf(args: ParsedArgs, io: CliIo): Destinations {
  const options = registryOptions(args, io);
  if (args.options.has('registry')) {
    if (args.options.has('layout')) throw new UsageError('--registry and --layout exclude each other');
    return new Destinations(options);
  }
  return new Destinations({ ...options, layout: resolve(io.cwd ?? process.cwd(), stringOption(args, 'layout') ?? 'oci-layout') });
}

/**
 * The release manifest of the one folder argument. A folder that does not exist or holds no release manifest is a
 * usage error naming it; a release manifest that synth did not write as it is (edited, forged, unreadable) is the
 * {@link ReleaseManifestError} of reading it, a refusal.
 */
export async function releaseOf(args: ParsedArgs, io: CliIo, command: string): Promise<{ dir: string; release: ReleaseManifest }> {
  if (args.positionals.length !== 1) {
    throw new UsageError(args.positionals.length === 0 ? `${command} needs the synthesized folder: flux-fleet ${command} <dir>` : `${command} takes one folder, got ${args.positionals.length}`);
  }
  const given = JSON.stringify(args.positionals[0]);
  const dir = resolve(io.cwd ?? process.cwd(), args.positionals[0]);
  const isFolder = (path: string) => stat(path).then((s) => s.isDirectory(), () => false);
  if (!(await isFolder(dir))) throw new UsageError(`cannot ${command} ${given}: ${dir} is not a folder; give the folder the fleet was synthesized into`);
  if (!(await stat(join(dir, RELEASE_MANIFEST_FILE)).then(() => true, () => false))) {
    const why = await isFolder(join(dir, 'clusters'))
      ? `; ${command} takes the tree a fleet synthesized, whose ${RELEASE_MANIFEST_FILE} says what goes where`
      : '';
    throw new UsageError(`cannot ${command} ${given}: ${join(dir, RELEASE_MANIFEST_FILE)} does not exist; synthesize the fleet into ${dir} first${why}`);
  }
  return { dir, release: await readReleaseManifest(dir) };
}

/**
 * The result of `read`, whose DeliveryError means that a value given on the command line (a revision, say) cannot be
 * used: that error becomes a usage error, its message after `what` (e.g. `--revision`).
 */
export async function commandLineValue<T>(what: string, read: () => T | Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    if (e instanceof DeliveryError) throw new UsageError(`${what}: ${e.message}`);
    throw e;
  }
}

/** The options of every command that checks signatures as the clusters do (verify-release, push, promote). */
export const VERIFICATION_OPTIONS: Record<string, OptionSpec> = {
  'public-key': { value: true },
  'trusted-root': { value: true },
  'refresh-sigstore-root': {},
};

/** Their help lines. */
export const VERIFICATION_OPTIONS_HELP = `  --public-key <secret>=<file>[,...]
                                  The public keys (cosign.pub) of a Secret the clusters verify with that is not
                                  in the tree (default: each source's Secret as the tree holds it)
  --trusted-root [<secret>=]<file>[,...]
                                  A Sigstore trusted_root.json: for a trustedRootSecretRef Secret not in the tree,
                                  or, without <secret>=, the root that stands for the public Sigstore instance
                                  (default: the one @sigstore/tuf embeds; nothing is read from the network)
  --refresh-sigstore-root         Fetch the public Sigstore instance's current root through TUF (network), falling
                                  back to the embedded one`;

/** The text of a file an option names, relative to the command's folder; a usage error naming the option when unreadable. */
export async function readOptionFile(io: CliIo, file: string, flag: string): Promise<string> {
  try {
    return await readFile(resolve(io.cwd ?? process.cwd(), file), 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${flag} ${file}: ${(e as Error).message}`);
  }
}

/** The verification material the command line gives (files read, roots parsed). */
export async function verificationMaterialOf(args: ParsedArgs, io: CliIo): Promise<VerificationMaterialOptions> {
  const read = (file: string, flag: string) => readOptionFile(io, file, flag);
  const publicKeys: Record<string, string[]> = {};
  for (const pair of listOption(args, 'public-key') ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--public-key ${JSON.stringify(pair)} is not <secret>=<file>; name the Secret the clusters read the key from, e.g. --public-key cosign-pub=cosign.pub`);
    (publicKeys[pair.slice(0, eq)] ??= []).push(await read(pair.slice(eq + 1), '--public-key'));
  }
  const trustedRoots: Record<string, unknown> = {};
  let publicTrustedRoot: unknown;
  for (const item of listOption(args, 'trusted-root') ?? []) {
    const eq = item.indexOf('=');
    const file = eq > 0 ? item.slice(eq + 1) : item;
    let root: unknown;
    try {
      root = JSON.parse(await read(file, '--trusted-root'));
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new UsageError(`--trusted-root ${file} is not JSON`);
    }
    if (eq > 0) trustedRoots[item.slice(0, eq)] = root;
    else publicTrustedRoot = root;
  }
  if (publicTrustedRoot === undefined && args.options.has('refresh-sigstore-root')) {
    publicTrustedRoot = await publicSigstoreRoot({
      refreshCache: join(homedir(), '.cache', 'flux-fleet', 'sigstore-tuf'),
      onFallback: (reason) => io.stderr.write(`warning: cannot refresh the public Sigstore root (${reason}); using the one @sigstore/tuf embeds\n`),
    });
  }
  return {
    ...(Object.keys(publicKeys).length > 0 ? { publicKeys } : {}),
    ...(Object.keys(trustedRoots).length > 0 ? { trustedRoots } : {}),
    ...(publicTrustedRoot !== undefined ? { publicTrustedRoot } : {}),
  };
}

/** The options of commands that move followed tags under an environment's lease. */
export const LEASE_OPTIONS: Record<string, OptionSpec> = {
  'lease-settle': { value: true },
  'lease-ttl': { value: true },
};

/** Their help lines. */
export const LEASE_OPTIONS_HELP = `  --lease-settle <ms>             How long a new lease record must stay in the registry before it counts as taken
                                  (default: 2000; raise it for a registry slower to apply a write)
  --lease-ttl <seconds>           How long the lease holds unless released (default: 600)`;

/** The lease options given. */
export function leaseOptionsOf(args: ParsedArgs): { settleMs?: number; ttlMs?: number } {
  const settle = numberOption(args, 'lease-settle', 1);
  const ttl = numberOption(args, 'lease-ttl', 10);
  return { ...(settle !== undefined ? { settleMs: settle } : {}), ...(ttl !== undefined ? { ttlMs: ttl * 1000 } : {}) };
}

/** The options of the commands that read what clusters report (status, promote --require-healthy, rollout). */
export const FORGE_OPTIONS: Record<string, OptionSpec> = {
  'history': { value: true },
  'deadline': { value: true },
  'token-env': { value: true },
  'forge-url': { value: true },
};

/** Their help lines. */
export const FORGE_OPTIONS_HELP = `  --history <n>                   Earlier commits to look at for clusters with no report on the revision (default: 5)
  --deadline <seconds>            The time one read of the reports may take, waits included (default: 120)
  --token-env <name>              The environment variable holding the forge token (default: GITHUB_TOKEN for
                                  GitHub, GITLAB_TOKEN for GitLab); a token is never taken from the command line
  --forge-url <host>=<url>[,...]  Reach a forge host's API at another URL (e.g. a GitHub Enterprise proxy)`;

/** How the reports are read, from the forge options given: the token from the environment, never an argument. */
export function healthOptionsOf(args: ParsedArgs): Omit<HealthOptions, 'now'> {
  const apiUrls: Record<string, string> = {};
  for (const pair of (stringOption(args, 'forge-url') ?? '').split(',').filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0 || !/^https?:\/\/[^\s]+$/.test(pair.slice(eq + 1))) throw new UsageError(`--forge-url ${JSON.stringify(pair)} is not <host>=<http(s) URL>; use e.g. github.acme.io=https://github.acme.io/api/v3`);
    apiUrls[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const tokenEnv = stringOption(args, 'token-env');
  if (tokenEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(tokenEnv)) throw new UsageError(`--token-env ${JSON.stringify(tokenEnv)} is not the name of an environment variable; give its name, e.g. GITHUB_TOKEN (never the token itself)`);
  const history = numberOption(args, 'history', 0);
  const deadline = numberOption(args, 'deadline', 1);
  return {
    token: ({ type }) => {
      const name = tokenEnv ?? DEFAULT_TOKEN_VARIABLES[type];
      return name !== undefined ? process.env[name] || undefined : undefined;
    },
    apiUrls,
    ...(history !== undefined ? { history } : {}),
    ...(deadline !== undefined ? { deadlineMs: deadline * 1000 } : {}),
  };
}

/** Milliseconds of a duration option (`30s`, `10m`, `1h30m`), or undefined when it is not given. */
export function durationOption(args: ParsedArgs, name: string): number | undefined {
  const v = stringOption(args, name);
  if (v === undefined) return undefined;
  const ms = durationMs(v);
  if (ms === undefined) throw new UsageError(`--${name} ${JSON.stringify(v)} is not a duration; use e.g. 30s, 10m or 1h30m`);
  return ms;
}

/** The sign (or verify) targets of `oci://` references. */
export function signTargets(refs: readonly string[], destinations: Destinations): SignTarget[] {
  return refs.map((value) => {
    let ref;
    try {
      ref = parseRegistryReference(value);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    return {
      repository: destinations.store(`oci://${ref.host}/${ref.repository}`) as RegistryRepository,
      host: ref.host,
      reference: ref.digest ?? ref.tag ?? 'latest',
    };
  });
}

/** What a `<ref>` argument of `inspect` or `pull` is. */
export const REFERENCE_HELP = `<ref> is oci://<host>/<repository>:<tag> (or @sha256:<digest>) for a registry, or oci:<folder>:<tag>
for an OCI image layout folder (as push writes by default).`;

/** The store and the reference (tag or digest, else `latest`) of the one `<ref>` argument: a registry, or a layout folder. */
export function artifactStoreOf(args: ParsedArgs, io: CliIo): { store: ArtifactStore; reference: string; close: () => void } {
  let ref;
  try {
    ref = parseReference(args.positionals[0]);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const reference = ref.digest ?? ref.tag ?? 'latest';
  if (ref.kind === 'layout') return { store: new OciLayout(resolve(io.cwd ?? process.cwd(), ref.path)), reference, close: () => undefined };
  const destinations = new Destinations(registryOptions(args, io));
  return { store: destinations.store(`oci://${ref.host}/${ref.repository}`), reference, close: () => destinations.close() };
}
