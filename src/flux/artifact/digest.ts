import { createHash } from 'node:crypto';

/** A content descriptor: what a manifest says of a blob. */
export interface Descriptor {
  /** The blob's media type. */
  readonly mediaType: string;
  /** `sha256:<64 hex digits>`. */
  readonly digest: string;
  /** The size in bytes. */
  readonly size: number;
  /** Annotations of the blob. @default - none */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** A blob with its descriptor. */
export interface OciBlob {
  /** Its descriptor. */
  readonly descriptor: Descriptor;
  /** Its bytes. */
  readonly content: Buffer;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** The `sha256:<hex>` digest of some bytes. */
export function sha256Digest(content: Buffer | string): string {
  return `sha256:${createHash('sha256').update(content).digest('hex')}`;
}

/** Whether a string is a sha256 digest, the only algorithm this client writes or accepts. */
export function isDigest(value: string): boolean {
  return DIGEST.test(value);
}

/** A blob of the given media type holding `content`. */
export function blobOf(mediaType: string, content: Buffer): OciBlob {
  return { descriptor: { mediaType, digest: sha256Digest(content), size: content.length }, content };
}

/** `sha256:0123456789ab`: a digest shortened for messages. */
export function shortDigest(digest: string): string {
  return digest.slice(0, 'sha256:'.length + 12);
}

/** A size for people: `512 B`, `3.2 KiB`, `1.5 MiB`. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
