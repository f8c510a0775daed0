import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fetchArtifact, type ArtifactStore, type FetchedArtifact } from './oci/store.js';
import { formatSize } from '../flux/artifact/digest.js';
import { ANNOTATIONS } from '../flux/artifact/media-types.js';
import { checkArtifactPath, type UnpackLimits } from '../flux/artifact/tar.js';
import { ValidationError } from '../flux/core/errors.js';
import { printable } from '../flux/core/terminal-text.js';

/** What an artifact holds, as `inspect` shows it. */
export interface ArtifactSummary {
  /** Where it was read, with the tag or digest asked for. */
  readonly location: string;
  /** The manifest's digest. */
  readonly digest: string;
  /** The manifest's media type. @default - the manifest names none */
  readonly mediaType?: string;
  /** The config blob's descriptor. */
  readonly config: { readonly mediaType: string; readonly digest: string; readonly size: number };
  /** The layers' descriptors, in the manifest's order. */
  readonly layers: ReadonlyArray<{ readonly mediaType: string; readonly digest: string; readonly size: number }>;
  /** The manifest's annotations (source, revision, created...). */
  readonly annotations: Readonly<Record<string, string>>;
  /** The files of the content layer, sorted by path. */
  readonly files: ReadonlyArray<{ readonly path: string; readonly size: number; readonly mode: number }>;
}

/**
 * Reads an artifact by tag or digest and summarizes it: digest, media types, annotations, files. Its layer is read
 * within `limits`.
 * @param limits what the layer may expand to @default - 256 MiB in all, 64 MiB per file, 100,000 entries
 */
export async function inspectArtifact(store: ArtifactStore, reference: string, limits: UnpackLimits = {}): Promise<ArtifactSummary> {
  return summarize(await fetchArtifact(store, reference, limits));
}

/**
 * Reads an artifact and writes its files under `outdir`, which must be empty or missing. Paths that would leave it
 * are refused, file modes are kept, and the layer is read within `limits`, so a hostile artifact cannot fill the disk.
 * @param limits what the layer may expand to @default - 256 MiB in all, 64 MiB per file, 100,000 entries
 */
export async function pullArtifact(store: ArtifactStore, reference: string, outdir: string, limits: UnpackLimits = {}): Promise<ArtifactSummary> {
  const artifact = await fetchArtifact(store, reference, limits);
  const root = resolve(outdir);
  const existing = await readdir(root).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [];
    throw e;
  });
  if (existing.length > 0) throw new ValidationError(`${outdir} is not empty; pull into an empty or new folder`);
  for (const file of artifact.files) checkArtifactPath(file.path);
  for (const file of artifact.files) {
    const target = join(root, ...file.path.split('/'));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.content);
    await chmod(target, (file.mode ?? 0o644) % 0o1000);
  }
  return summarize(artifact);
}

function summarize(a: FetchedArtifact): ArtifactSummary {
  const m = a.manifest;
  return {
    location: a.location,
    digest: a.digest,
    ...(m.mediaType !== undefined ? { mediaType: m.mediaType } : {}),
    config: { mediaType: m.config.mediaType, digest: m.config.digest, size: m.config.size },
    layers: m.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    annotations: { ...m.annotations },
    files: a.files.map((f) => ({ path: f.path, size: f.content.length, mode: f.mode ?? 0o644 }))
      .sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0)),
  };
}

/**
 * The summary as text: one fact a line, then the files. Control characters (terminal escape sequences, line breaks)
 * in anything the artifact says are shown as `?`, so that an artifact cannot forge lines or drive the terminal.
 */
export function formatSummary(s: ArtifactSummary): string {
  const lines = [
    s.location,
    `  digest:     ${s.digest}`,
    `  media type: ${s.mediaType ?? '(none)'}`,
    `  config:     ${s.config.mediaType} ${s.config.digest} (${formatSize(s.config.size)})`,
    ...s.layers.map((l) => `  layer:      ${l.mediaType} ${l.digest} (${formatSize(l.size)})`),
  ];
  const known = [ANNOTATIONS.created, ANNOTATIONS.source, ANNOTATIONS.revision] as const;
  const labels: Record<string, string> = { [ANNOTATIONS.created]: 'created', [ANNOTATIONS.source]: 'source', [ANNOTATIONS.revision]: 'revision' };
  for (const key of known) if (s.annotations[key] !== undefined) lines.push(`  ${`${labels[key]}:`.padEnd(11)} ${s.annotations[key]}`);
  for (const [key, value] of Object.entries(s.annotations).sort()) {
    if (!(known as readonly string[]).includes(key)) lines.push(`  annotation: ${key}=${value}`);
  }
  lines.push(`  files (${s.files.length}):`);
  for (const f of s.files) lines.push(`    ${f.mode.toString(8).padStart(4, '0')} ${formatSize(f.size).padStart(10)}  ${f.path}`);
  return `${lines.map(printable).join('\n')}\n`;
}
