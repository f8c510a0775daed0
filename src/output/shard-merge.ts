import * as fs from 'node:fs';
import * as path from 'node:path';
import { mergeReleaseManifests, parseReleaseManifest, RELEASE_MANIFEST_FILE, renderReleaseManifest } from './release-manifest.js';
import { clusterNamesDigest, SHARD_MANIFEST_FILE, type ShardFleet, type ShardManifest } from './shard.js';
import { Shard } from '../fleet/shard.js';
import { compareStrings, ConfigTreeError, WRITER_MARKER_FILE } from './writer/tree-path.js';
import { contentDigest, TreeWriter, writtenFiles, type ForeignFiles, type WriteTreeResult } from './writer/tree-writer.js';

/** Options of {@link mergeShards}. */
export interface MergeShardsOptions {
  /**
   * What to do with files in the output folder that flux-fleet did not write (see `FluxAppProps.foreignFiles`).
   * @default "refuse"
   */
  readonly foreignFiles?: ForeignFiles;
}

/** A shard's output folder, read. */
interface ShardFolder {
  readonly folder: string;
  readonly shard: Shard;
  readonly manifest: ShardManifest;
  readonly files: readonly string[];
}

/**
 * Puts together the output folders of every shard of a synth (`FluxApp` with `shard`, or `FLUX_FLEET_SHARD`) into
 * `outdir`: the tree a synth of the whole fleet writes, byte for byte. Each shard brings its clusters' folders;
 * the files every shard writes alike (the picture, the packed folders its clusters use) must be the same in each;
 * release.json is put together from the shards' parts. Files are hard-linked from the shards' folders where the file
 * system allows.
 *
 * Refuses, writing nothing, a folder that is not a shard's output, shards of different counts or of different fleets
 * (their cluster names differ), a shard given twice or missing, and files the shards disagree on.
 */
export function mergeShards(shardFolders: readonly string[], outdir: string, options: MergeShardsOptions = {}): WriteTreeResult {
  const shards = shardFolders.map(readShard).sort((a, b) => a.shard.index - b.shard.index);
  checkComplete(shards);
  const folders = shards[0].manifest.fleets.map((f) => f.folder);
  // The marker records each release.json's digest, as a synth's does: delivery reads only the one written here.
  const writer = TreeWriter.open(outdir, { foreignFiles: options.foreignFiles, recordDigests: folders.map((f) => `${f}${RELEASE_MANIFEST_FILE}`) });
  try {
    const shared = new Map<string, { digest: string; shard: Shard }>();
    for (const { folder, shard, files } of shards) {
      for (const file of files) {
        if (file === SHARD_MANIFEST_FILE) continue;
        const source = path.join(folder, file);
        if (folders.some((f) => file.startsWith(`${f}clusters/`))) {
          writer.addFrom(file, source);
          continue;
        }
        // The picture and the packed folders: the same in every shard that writes them.
        const digest = contentDigest(fs.readFileSync(source));
        const known = shared.get(file);
        if (!known) {
          shared.set(file, { digest, shard });
          writer.addFrom(file, source);
        } else if (known.digest !== digest) {
          throw new ConfigTreeError(`Cannot merge the shards: ${file} differs between shard ${known.shard} and shard ${shard}, so they were not synthesized from the same program and files; synthesize every shard from the same commit`);
        }
      }
    }
    for (const f of folders) {
      const parts = shards.map((s) => s.manifest.fleets.find((x) => x.folder === f)!.release);
      writer.add(`${f}${RELEASE_MANIFEST_FILE}`, Buffer.from(renderReleaseManifest(mergeReleaseManifests(parts)), 'utf8'));
    }
    return writer.commit();
  } finally {
    writer.abort();
  }
}

/** Reads a shard's output folder: its manifest, and the files synth wrote there. */
function readShard(folder: string): ShardFolder {
  const fix = 'give the output folders of a synth run with a shard (FLUX_FLEET_SHARD=3/16, or FluxApp\'s shard)';
  const files = writtenFiles(folder);
  const manifestFile = path.join(folder, SHARD_MANIFEST_FILE);
  if (!files || !files.includes(SHARD_MANIFEST_FILE)) {
    const what = fs.existsSync(path.join(folder, RELEASE_MANIFEST_FILE)) ? 'a synth of a whole fleet, not of a shard' : `not a shard's output (it lacks ${SHARD_MANIFEST_FILE} or ${WRITER_MARKER_FILE})`;
    throw new ConfigTreeError(`Cannot merge "${folder}": it is ${what}; ${fix}`);
  }
  let manifest: ShardManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as ShardManifest;
  } catch (e) {
    throw new ConfigTreeError(`Cannot merge "${folder}": ${SHARD_MANIFEST_FILE} is not JSON (${(e as Error).message}); synthesize the shard again`, { cause: e });
  }
  const bad = (what: string) => new ConfigTreeError(`Cannot merge "${folder}": ${SHARD_MANIFEST_FILE} ${what}; synthesize the shard again with this version of flux-fleet`);
  if (manifest === null || typeof manifest !== 'object' || manifest.format !== 1) throw bad('is not of format 1');
  if (!Array.isArray(manifest.fleets) || manifest.fleets.length === 0) throw bad('lists no fleet');
  let shard: Shard;
  try {
    shard = Shard.parse(String(manifest.shard));
  } catch {
    throw bad(`names no shard (${JSON.stringify(manifest.shard)})`);
  }
  const fleets = manifest.fleets.map((f, i): ShardFleet => {
    if (typeof f?.folder !== 'string' || !Number.isInteger(f.clusters) || typeof f.names !== 'string') throw bad(`has a malformed fleets[${i}]`);
    return { ...f, release: parseReleaseManifest(f.release, `${manifestFile} fleets[${i}].release`) };
  });
  return { folder, shard, manifest: { ...manifest, fleets }, files: files.sort(compareStrings) };
}

/** Refuses shards that are not exactly the shards of one fleet, each once. */
function checkComplete(shards: readonly ShardFolder[]): void {
  if (shards.length === 0) throw new ConfigTreeError('Cannot merge: no shard folder given; give the output folder of every shard');
  const count = shards[0].shard.count;
  for (const s of shards) {
    if (s.shard.count !== count) {
      throw new ConfigTreeError(`Cannot merge: "${shards[0].folder}" is shard ${shards[0].shard} and "${s.folder}" shard ${s.shard}, of another count; give the shards of one synth`);
    }
  }
  const seen = new Map<number, string>();
  for (const s of shards) {
    const other = seen.get(s.shard.index);
    if (other !== undefined) throw new ConfigTreeError(`Cannot merge: "${other}" and "${s.folder}" are both shard ${s.shard}; give each shard once`);
    seen.set(s.shard.index, s.folder);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (missing.length > 0) {
    throw new ConfigTreeError(`Cannot merge: shard${missing.length === 1 ? '' : 's'} ${missing.map((i) => `${i}/${count}`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing; give the output folder of every shard`);
  }
  const folders = (s: ShardFolder) => s.manifest.fleets.map((f) => `${f.folder}\0${f.clusters}\0${f.names}`).join('\n');
  for (const s of shards) {
    if (folders(s) !== folders(shards[0])) {
      throw new ConfigTreeError(`Cannot merge: shards ${shards[0].shard} and ${s.shard} come from fleets with other clusters; synthesize every shard from the same program and commit`);
    }
  }
  for (const fleet of shards[0].manifest.fleets) {
    const names = shards.flatMap((s) => s.manifest.fleets.find((f) => f.folder === fleet.folder)!.release.clusters.map((c) => c.name));
    if (names.length !== fleet.clusters || clusterNamesDigest(names) !== fleet.names) {
      throw new ConfigTreeError(`Cannot merge: the shards hold ${names.length} of the ${fleet.clusters} clusters of the fleet${fleet.folder ? ` in ${fleet.folder}` : ''}, or others than it has; synthesize every shard from the same program and commit`);
    }
  }
}

