import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ERROR_CODES, FluxFleetError } from '../../flux/core/errors.js';

/** Credentials for one registry. */
export interface RegistryCredentials {
  /** The user name, sent with `password` (HTTP Basic, or to the token service). @default - no user name: a token alone, or anonymous */
  readonly username?: string;
  /** The password or access token. @default - no password */
  readonly password?: string;
  /** An OAuth2 refresh token, exchanged at the registry's token service (Docker's `identitytoken`). @default - no identity token */
  readonly identityToken?: string;
  /** A bearer token sent to the registry as it is (Docker's `registrytoken`). @default - no registry token */
  readonly registryToken?: string;
}

/** Where the client gets the credentials for a registry host. */
export interface CredentialProvider {
  /** The credentials for a host (`ghcr.io`, `127.0.0.1:5000`); undefined for anonymous access. */
  credentialsFor(host: string): Promise<RegistryCredentials | undefined>;
}

/** Options of {@link dockerConfigCredentials}. */
export interface DockerConfigOptions {
  /**
   * The config file.
   * @default - `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`; `$REGISTRY_AUTH_FILE` (the containers
   * tools' auth.json, same format) is read first when set
   */
  readonly path?: string;
  /** The environment to read DOCKER_CONFIG, REGISTRY_AUTH_FILE and HOME from, and to run credential helpers in. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string; registrytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

/** An error reading credentials; the message names the file or helper and the fix. */
export class CredentialsError extends FluxFleetError {
  public constructor(message: string) {
    super(ERROR_CODES.credentials, message);
  }
}

/** Anonymous access to every registry. */
export const anonymousCredentials: CredentialProvider = {
  credentialsFor: async () => undefined,
};

/**
 * The same user name and password for every registry host, or for the hosts listed.
 * @param hosts the hosts they are for @default - every host
 */
export function basicCredentials(username: string, password: string, hosts?: readonly string[]): CredentialProvider {
  return {
    credentialsFor: async (host) => (hosts === undefined || hosts.includes(host) ? { username, password } : undefined),
  };
}

/** The first provider that has credentials for a host wins. */
export function chainCredentials(...providers: CredentialProvider[]): CredentialProvider {
  return {
    credentialsFor: async (host) => {
      for (const p of providers) {
        const found = await p.credentialsFor(host);
        if (found) return found;
      }
      return undefined;
    },
  };
}

/**
 * Credentials from a Docker config.json, as `docker login` writes it: `auths` entries (`auth` as base64
 * `user:password`, or `username`/`password`, `identitytoken`, `registrytoken`), and the credential helpers it names
 * (`credHelpers` per host, `credsStore` for the rest), run as `docker-credential-<name> get`. A missing file means
 * anonymous access.
 */
export function dockerConfigCredentials(options: DockerConfigOptions = {}): CredentialProvider {
  const env = options.env ?? process.env;
  const files = options.path !== undefined
    ? [options.path]
    : [
      ...(env.REGISTRY_AUTH_FILE ? [env.REGISTRY_AUTH_FILE] : []),
      join(env.DOCKER_CONFIG ?? join(env.HOME ?? homedir(), '.docker'), 'config.json'),
    ];
  let loaded: Promise<Array<{ file: string; config: DockerConfigFile }>> | undefined;
  const load = () => (loaded ??= Promise.all(files.map(async (file) => ({ file, config: await readConfig(file) }))));
  return {
    credentialsFor: async (host) => {
      for (const { file, config } of await load()) {
        const helper = config.credHelpers?.[host];
        if (helper) return runHelper(helper, host, file, env);
        const entry = Object.entries(config.auths ?? {}).find(([key]) => normalizeHost(key) === normalizeHost(host))?.[1];
        if (entry) {
          const found = fromAuthEntry(entry, file, host);
          if (found) return found;
        }
        if (config.credsStore) {
          const found = await runHelper(config.credsStore, host, file, env);
          if (found) return found;
        }
      }
      return undefined;
    },
  };
}

async function readConfig(file: string): Promise<DockerConfigFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CredentialsError(`cannot read the Docker config ${file}: ${(e as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed === 'object' && parsed !== null) return parsed as DockerConfigFile;
  } catch (e) {
    // The parser's message quotes the text around the error, which may be a password: only the position is given.
    const at = /position (\d+)/.exec((e as Error).message)?.[1];
    const where = at !== undefined ? ` (at line ${text.slice(0, Number(at)).split('\n').length})` : '';
    throw new CredentialsError(`the Docker config ${file} is not valid JSON${where}; fix it or log in again with docker login`);
  }
  throw new CredentialsError(`the Docker config ${file} is not a JSON object; fix it or log in again with docker login`);
}

function fromAuthEntry(entry: NonNullable<DockerConfigFile['auths']>[string], file: string, host: string): RegistryCredentials | undefined {
  const creds: { username?: string; password?: string; identityToken?: string; registryToken?: string } = {};
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new CredentialsError(`the "auth" of ${host} in ${file} is not base64 of "user:password"; log in again with docker login ${host}`);
    creds.username = decoded.slice(0, colon);
    creds.password = decoded.slice(colon + 1);
  } else if (entry.username !== undefined) {
    creds.username = entry.username;
    creds.password = entry.password;
  }
  if (entry.identitytoken) creds.identityToken = entry.identitytoken;
  if (entry.registrytoken) creds.registryToken = entry.registrytoken;
  return Object.keys(creds).length > 0 ? creds : undefined;
}

/** Runs `docker-credential-<helper> get` for a host; undefined when the helper has nothing for it. */
function runHelper(helper: string, host: string, file: string, env: NodeJS.ProcessEnv): Promise<RegistryCredentials | undefined> {
  if (!/^[A-Za-z0-9._-]+$/.test(helper)) throw new CredentialsError(`credential helper ${JSON.stringify(helper)} in ${file} is not a helper name`);
  const program = `docker-credential-${helper}`;
  return new Promise((resolve, reject) => {
    const child = execFile(program, ['get'], { timeout: 30_000, env }, (error, stdout, stderr) => {
      if (error) {
        const text = `${stdout}${stderr}`;
        if (/credentials not found/i.test(text)) return resolve(undefined);
        const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it is not installed (not on PATH)' : text.trim() || error.message;
        return reject(new CredentialsError(`credential helper ${program} (named in ${file}) failed for ${host}: ${why}`));
      }
      try {
        const out = JSON.parse(stdout) as { Username?: string; Secret?: string };
        if (out.Username === '<token>') return resolve({ identityToken: out.Secret });
        resolve({ username: out.Username, password: out.Secret });
      } catch {
        reject(new CredentialsError(`credential helper ${program} printed no credentials JSON for ${host}`));
      }
    });
    child.stdin?.end(host);
  });
}

/** The host of a Docker config `auths` key: `https://index.docker.io/v1/` and `docker.io` both name Docker Hub. */
function normalizeHost(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}
