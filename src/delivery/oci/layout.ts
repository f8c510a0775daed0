import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RegistryError } from './client.js';
import { isTag } from './reference.js';
import type { ArtifactStore, BlobOutcome, FetchedManifest } from './store.js';
import { isDigest, sha256Digest, type OciBlob, type Descriptor } from '../../flux/artifact/digest.js';
import { ANNOTATIONS, MEDIA_TYPES } from '../../flux/artifact/media-types.js';
import { processAlive } from '../../flux/core/process-alive.js';

interface IndexJson {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Array<Descriptor & { annotations?: Record<string, string> }>;
}

/** Serializes the index.json updates of each layout folder within this process. */
const indexLocks = new Map<string, Promise<unknown>>();

/** How long a writer waits for another process's lock on index.json before giving up. */
const LOCK_WAIT_MS = 30_000;
/** A lock older than this is left by a writer that died, and is taken over. */
const LOCK_STALE_MS = 120_000;

/**
 * An OCI image layout folder on disk (`oci-layout`, `index.json`, `blobs/sha256/`), as skopeo and other OCI tools
 * read it (`skopeo copy oci:<folder>:<tag> docker://...`). Tags are the `org.opencontainers.image.ref.name`
 * annotations of index.json. Files are written to a temporary name and renamed, so a reader never sees half a file;
 * index.json is read, changed and written under a lock file (`index.json.lock`), so that processes writing one layout
 * at the same time keep each other's tags.
 */
export class OciLayout implements ArtifactStore {
  public readonly location: string;

  /** @param path the layout folder; created on the first write */
  public constructor(public readonly path: string) {
    this.location = `oci:${path}`;
  }

  public async blobExists(descriptor: Descriptor): Promise<boolean> {
    const s = await stat(this.blobPath(descriptor.digest)).catch(() => undefined);
    return s?.isFile() === true && s.size === descriptor.size;
  }

  public async pushBlob(blob: OciBlob): Promise<BlobOutcome> {
    if (await this.blobExists(blob.descriptor)) return 'existing';
    if (sha256Digest(blob.content) !== blob.descriptor.digest) throw new RegistryError(`blob content does not match its digest ${blob.descriptor.digest}`);
    await this.init();
    await this.writeAtomic(this.blobPath(blob.descriptor.digest), blob.content);
    return 'uploaded';
  }

  public async fetchBlob(descriptor: Descriptor): Promise<Buffer> {
    const content = await readFile(this.blobPath(descriptor.digest)).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') throw new RegistryError(`${this.location} lacks blob ${descriptor.digest}`);
      throw e;
    });
    if (sha256Digest(content) !== descriptor.digest) throw new RegistryError(`${this.location}: blob ${descriptor.digest} is corrupt (its content has another digest)`);
    return content;
  }

  public async pushManifest(tag: string, bytes: Buffer, mediaType: string): Promise<string> {
    if (!isTag(tag)) throw new RegistryError(`${JSON.stringify(tag)} is not a tag`);
    const digest = sha256Digest(bytes);
    await this.init();
    const blobFile = this.blobPath(digest);
    if (!(await stat(blobFile).catch(() => undefined))) await this.writeAtomic(blobFile, bytes);
    await this.updateIndex((index) => {
      const others = index.manifests.filter((m) => m.annotations?.[ANNOTATIONS.refName] !== tag);
      const entry = { mediaType, digest, size: bytes.length, annotations: { [ANNOTATIONS.refName]: tag } };
      index.manifests = [...others, entry].sort((a, b) => compare(refName(a), refName(b)) || compare(a.digest, b.digest));
    });
    return digest;
  }

  public async fetchManifest(reference: string): Promise<FetchedManifest | undefined> {
    let descriptor: Descriptor | undefined;
    if (isDigest(reference)) {
      const index = await this.readIndex();
      descriptor = index.manifests.find((m) => m.digest === reference) ?? { mediaType: MEDIA_TYPES.ociManifest, digest: reference, size: -1 };
    } else {
      descriptor = (await this.readIndex()).manifests.find((m) => refName(m) === reference);
    }
    if (!descriptor) return undefined;
    const bytes = await readFile(this.blobPath(descriptor.digest)).catch(() => undefined);
    if (!bytes) return undefined;
    const digest = sha256Digest(bytes);
    if (digest !== descriptor.digest) throw new RegistryError(`${this.location}: manifest ${descriptor.digest} is corrupt (its content has another digest)`);
    const own = (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType;
    return { bytes, digest, mediaType: own ?? descriptor.mediaType };
  }

  public async tags(): Promise<string[]> {
    const index = await this.readIndex();
    return [...new Set(index.manifests.map(refName).filter((t): t is string => t !== undefined))].sort(compare);
  }

  private blobPath(digest: string): string {
    if (!isDigest(digest)) throw new RegistryError(`${JSON.stringify(digest)} is not a sha256 digest`);
    return join(this.path, 'blobs', 'sha256', digest.slice('sha256:'.length));
  }

  private async init(): Promise<void> {
    await mkdir(join(this.path, 'blobs', 'sha256'), { recursive: true });
    const marker = join(this.path, 'oci-layout');
    if (!(await stat(marker).catch(() => undefined))) await this.writeAtomic(marker, Buffer.from('{"imageLayoutVersion":"1.0.0"}'));
  }

  private async readIndex(): Promise<IndexJson> {
    const text = await readFile(join(this.path, 'index.json'), 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (text === undefined) return { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [] };
    const index = JSON.parse(text) as IndexJson;
    if (!Array.isArray(index.manifests)) throw new RegistryError(`${join(this.path, 'index.json')} is not an OCI image index`);
    return index;
  }

  private async updateIndex(change: (index: IndexJson) => void): Promise<void> {
    const previous = indexLocks.get(this.path) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(async () => {
      const release = await this.lockIndex();
      try {
        const index = await this.readIndex();
        change(index);
        await this.writeAtomic(join(this.path, 'index.json'), Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: index.manifests })));
      } finally {
        await release();
      }
    });
    indexLocks.set(this.path, next);
    try {
      await next;
    } finally {
      if (indexLocks.get(this.path) === next) indexLocks.delete(this.path);
    }
  }

  /** Takes the layout's lock file, waiting for another process holding it; returns its release. */
  private async lockIndex(): Promise<() => Promise<void>> {
    const lock = join(this.path, 'index.json.lock');
    const owner = `${process.pid} ${randomBytes(6).toString('hex')}`;
    const begin = Date.now();
    for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
      try {
        const handle = await open(lock, 'wx');
        await handle.writeFile(owner);
        await handle.close();
        return async () => {
          const held = await readFile(lock, 'utf8').catch(() => undefined);
          if (held === owner) await rm(lock, { force: true });
        };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const held = await readFile(lock, 'utf8').catch(() => '');
      const since = (await stat(lock).catch(() => undefined))?.mtimeMs ?? Date.now();
      const pid = Number(held.split(' ')[0]);
      if (Date.now() - since > LOCK_STALE_MS || (pid > 0 && !processAlive(pid))) {
        // Left by a writer that died: take it over (only one taker removes what it read).
        if ((await readFile(lock, 'utf8').catch(() => undefined)) === held) await rm(lock, { force: true });
        continue;
      }
      if (Date.now() - begin > LOCK_WAIT_MS) {
        throw new RegistryError(`${this.location}: another process (pid ${pid || 'unknown'}) has held ${lock} for ${Math.round((Date.now() - since) / 1000)} s; ` +
          'wait for it to finish, or remove the lock file if no process writes this layout');
      }
      await new Promise((r) => setTimeout(r, delay + Math.random() * delay));
    }
  }

  private async writeAtomic(file: string, content: Buffer): Promise<void> {
    const temp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
    try {
      await writeFile(temp, content);
      await rename(temp, file);
    } catch (e) {
      await rm(temp, { force: true });
      throw e;
    }
  }
}

function refName(m: { annotations?: Record<string, string> }): string | undefined {
  return m.annotations?.[ANNOTATIONS.refName];
}

function compare(a: string | undefined, b: string | undefined): number {
  const x = a ?? '';
  const y = b ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}
