import { isDigest } from '../../flux/artifact/digest.js';
import { ERROR_CODES, FluxFleetError } from '../../flux/core/errors.js';

/** Where an artifact lives in a registry, with an optional tag or digest. */
export interface RegistryReference {
  /** `registry`: an artifact in a registry. */
  readonly kind: 'registry';
  /** The registry host, with its port if any, e.g. `ghcr.io` or `127.0.0.1:5000`. */
  readonly host: string;
  /** The repository under the host, e.g. `acme/fleet/clusters/prod-eu-1`. */
  readonly repository: string;
  /** A tag. @default - none */
  readonly tag?: string;
  /** A digest, which wins over the tag. @default - none */
  readonly digest?: string;
}

/** An artifact in an OCI image layout folder on disk, with an optional tag or digest. */
export interface LayoutReference {
  /** `layout`: an artifact in an OCI image layout folder. */
  readonly kind: 'layout';
  /** The layout folder. */
  readonly path: string;
  /** A tag. @default - none */
  readonly tag?: string;
  /** A digest, which wins over the tag. @default - none */
  readonly digest?: string;
}

/** A reference parsed by {@link parseReference}. */
export type ArtifactReference = RegistryReference | LayoutReference;

const REPOSITORY = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const HOST = /^([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$/;

/** A reference the client refuses; the message quotes it and gives the expected form. */
export class ArtifactReferenceError extends FluxFleetError {
  public constructor(message: string) {
    super(ERROR_CODES.reference, message);
  }
}

/** Whether a string is an OCI tag. */
export function isTag(value: string): boolean {
  return TAG.test(value);
}

/** Whether a string is an OCI repository name. */
export function isRepositoryName(value: string): boolean {
  return REPOSITORY.test(value) && value.length <= 255;
}

/**
 * Parses `oci://<host>/<repository>[:<tag>][@sha256:<digest>]` (a registry) or `oci:<folder>[:<tag>|@<digest>]`
 * (an OCI image layout on disk, as skopeo writes it). A folder path cannot hold `:`.
 */
export function parseReference(input: string): ArtifactReference {
  if (input.startsWith('oci://')) return parseRegistryReference(input);
  // eslint-disable-next-line no-control-regex
  const value = input.startsWith('oci:') ? input.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?') : redactReference(input);
  if (input.startsWith('oci:')) {
    const rest = input.slice('oci:'.length);
    const [path, ref] = splitOnce(rest, rest.includes('@') ? '@' : ':');
    if (path === '') throw new ArtifactReferenceError(`${JSON.stringify(value)} names no layout folder; use oci:<folder>[:<tag>], e.g. "oci:dist-oci/fleet:latest"`);
    return { kind: 'layout', path, ...refOf(value, ref, rest.includes('@')) };
  }
  throw new ArtifactReferenceError(`${JSON.stringify(value)} is not an artifact reference; use oci://<host>/<repository>:<tag> for a registry or oci:<folder>:<tag> for an OCI image layout`);
}

/**
 * A reference as it may be shown: the password of a `user:password@` part is replaced by `***`, and control
 * characters by `?`.
 */
export function redactReference(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/^((?:[a-z][a-z0-9+.-]*:\/\/)?[^/@\s]*?):[^/@\s]*@/i, '$1:***@').replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/** Parses `oci://<host>/<repository>[:<tag>][@<digest>]`, or the same without the scheme. */
export function parseRegistryReference(input: string): RegistryReference {
  const bare = input.replace(/^oci:\/\//, '');
  const slash = bare.indexOf('/');
  const expected = 'use oci://<host>/<repository>[:<tag>|@sha256:<digest>], e.g. "oci://ghcr.io/acme/fleet:latest"';
  // Errors quote the reference without its password.
  const value = redactReference(input);
  const userinfo = bare.slice(0, slash < 0 ? bare.length : slash).includes('@');
  if (userinfo) {
    throw new ArtifactReferenceError(`${JSON.stringify(value)} carries credentials; remove them from the reference and give them through a Docker config (docker login) instead`);
  }
  if (slash <= 0) throw new ArtifactReferenceError(`${JSON.stringify(value)} has no repository; ${expected}`);
  const host = bare.slice(0, slash);
  if (!HOST.test(host)) throw new ArtifactReferenceError(`${JSON.stringify(value)}: ${JSON.stringify(redactReference(host))} is not a registry host; ${expected}`);
  let rest = bare.slice(slash + 1);
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isDigest(digest)) throw new ArtifactReferenceError(`${JSON.stringify(value)}: ${JSON.stringify(digest)} is not a sha256 digest; ${expected}`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!isTag(tag)) throw new ArtifactReferenceError(`${JSON.stringify(value)}: ${JSON.stringify(tag)} is not a tag (letters, digits, '_', '.', '-'; at most 128); ${expected}`);
  }
  if (!isRepositoryName(rest)) throw new ArtifactReferenceError(`${JSON.stringify(value)}: ${JSON.stringify(rest)} is not a repository name (lowercase letters, digits and separators); ${expected}`);
  return { kind: 'registry', host, repository: rest, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** `oci://host/repository` with the tag or digest, for messages and output. */
export function formatReference(ref: ArtifactReference): string {
  const base = ref.kind === 'registry' ? `oci://${ref.host}/${ref.repository}` : `oci:${ref.path}`;
  if (ref.digest !== undefined) return `${base}@${ref.digest}`;
  return ref.tag !== undefined ? `${base}:${ref.tag}` : base;
}

function refOf(value: string, ref: string | undefined, isDigestRef: boolean): { tag?: string; digest?: string } {
  if (ref === undefined || ref === '') return {};
  if (isDigestRef) {
    if (!isDigest(ref)) throw new ArtifactReferenceError(`${JSON.stringify(value)}: ${JSON.stringify(ref)} is not a sha256 digest`);
    return { digest: ref };
  }
  if (!isTag(ref)) throw new ArtifactReferenceError(`${JSON.stringify(value)}: ${JSON.stringify(ref)} is not a tag (letters, digits, '_', '.', '-'; at most 128)`);
  return { tag: ref };
}

function splitOnce(value: string, separator: string): [string, string | undefined] {
  const i = value.indexOf(separator);
  return i < 0 ? [value, undefined] : [value.slice(0, i), value.slice(i + 1)];
}
