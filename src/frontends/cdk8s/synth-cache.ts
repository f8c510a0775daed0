import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { codeFingerprint } from './code-fingerprint.js';
import type { FleetDeclaration } from './fleet-declaration.js';
import type { ProgramCall } from '../../fleet/program-calls.js';

/** The format of the cache file; another format is not read. */
const FORMAT = 1;

/**
 * A cluster as the cache holds it: every number indexes the fleet's table of strings, and the arrays are flat (a few
 * arrays per cluster, rather than one per call and file, for a fleet of many clusters).
 */
interface CachedCluster {
  /**
   * The calls its build made, in order, four numbers each: where the function is, its receiver and its arguments
   * encoded, the hash of its result.
   */
  readonly calls: ArrayLike<number>;
  /** Its files, two numbers each: the name relative to its folder, the digest of its bytes. */
  readonly files: ArrayLike<number>;
  /** The external charts and artifacts it pulls, as release.json counts them (JSON, without the cluster). */
  readonly pulls: ArrayLike<number>;
}

/** A fleet as the cache holds it. */
interface CachedFleet {
  /** The hash of the declaration its clusters were built from. */
  readonly declaration: string;
  /** Strings the clusters share: locations, encoded values, hashes, file names, digests, pulls. */
  readonly strings: readonly string[];
  readonly clusters: Readonly<Record<string, CachedCluster>>;
}

interface CacheFile {
  readonly format: number;
  readonly code: string;
  readonly fleets: Readonly<Record<string, CachedFleet>>;
}

/** A cluster that a synth may take as it was: its files, and what release.json needs of it. */
export interface UnchangedCluster {
  /** Its files, relative to its folder, with their digests. */
  readonly files: ReadonlyArray<readonly [name: string, digest: string]>;
  /** The external pulls it records (as `FleetExternalPull`, without the cluster). */
  readonly pulls: readonly Record<string, unknown>[];
}

/**
 * What the previous synth into an output folder built, so that the next one need not build again a cluster whose
 * inputs did not change. Kept beside the output folder (`.<name>.flux-fleet-cache`), keyed by content only: the code
 * fingerprint (flux-fleet's code, its dependencies, Node.js), the hash of each fleet's declaration, and for each
 * cluster the calls its build made of the program's functions (and of folders read), with what they returned. A
 * cluster is taken as it was only when the code and declaration are the same, calling each of those functions again
 * returns the same, and each of its files in the output folder still has the bytes written (read and hashed): so a
 * cache never yields a stale file, whatever was edited since. A file written by another version, or unreadable, is
 * ignored.
 */
export class SynthCache {
  /** The cache of the output folder `outdir` (absolute, links resolved), read if present. */
  public static beside(outdir: string): SynthCache {
    const file = path.join(path.dirname(outdir), `.${path.basename(outdir)}.flux-fleet-cache`);
    const code = codeFingerprint();
    let previous: CacheFile | undefined;
    try {
      const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as CacheFile;
      if (parsed.format === FORMAT && parsed.code === code && typeof parsed.fleets === 'object' && parsed.fleets !== null) previous = parsed;
    } catch {
      // Missing or unreadable: every cluster is built.
    }
    return new SynthCache(file, code, previous);
  }

  private readonly next = new Map<string, FleetRecorder>();

  private constructor(public readonly file: string, private readonly code: string, private readonly previous: CacheFile | undefined) {}

  /**
   * The fleet at `key` (its construct path): what the previous synth cached of it, when built from the same
   * declaration, and a recorder of what this synth builds.
   */
  public fleet(key: string, declaration: FleetDeclaration): { previous?: PreviousFleet; recorder: FleetRecorder } {
    const cached = this.previous && Object.hasOwn(this.previous.fleets, key) ? this.previous.fleets[key] : undefined;
    const previous = cached?.declaration === declaration.hash ? new PreviousFleet(cached, declaration) : undefined;
    const recorder = new FleetRecorder(declaration, previous);
    this.next.set(key, recorder);
    return { previous, recorder };
  }

  /** Writes what this synth built, replacing the file (or removes it when nothing could be cached). */
  public save(): void {
    const fleets = Object.fromEntries([...this.next].map(([key, r]) => [key, r.toJson()]));
    if (Object.keys(fleets).length === 0) {
      fs.rmSync(this.file, { force: true });
      return;
    }
    const temp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    try {
      fs.writeFileSync(temp, JSON.stringify({ format: FORMAT, code: this.code, fleets } satisfies CacheFile));
      fs.renameSync(temp, this.file);
    } finally {
      fs.rmSync(temp, { force: true });
    }
  }
}

/** What the previous synth built of a fleet with the same declaration. */
export class PreviousFleet {
  public constructor(private readonly cached: CachedFleet, private readonly declaration: FleetDeclaration) {}

  /**
   * The cluster as the previous synth built it, when calling again each function its build called gives the same
   * results; undefined otherwise (or when it was not cached).
   */
  public unchanged(cluster: string): UnchangedCluster | undefined {
    const entry = Object.hasOwn(this.cached.clusters, cluster) ? this.cached.clusters[cluster] : undefined;
    if (!entry) return undefined;
    const s = this.cached.strings;
    const c = entry.calls;
    for (let i = 0; i < c.length; i += 4) {
      try {
        const fn = this.declaration.at(s[c[i]]);
        if (typeof fn !== 'function') return undefined;
        const value: unknown = Reflect.apply(fn, this.declaration.decode(s[c[i + 1]]), this.declaration.decode(s[c[i + 2]]) as unknown[]);
        if (this.declaration.hashValue(value) !== s[c[i + 3]]) return undefined;
      } catch {
        return undefined;
      }
    }
    const files: Array<readonly [string, string]> = [];
    for (let i = 0; i < entry.files.length; i += 2) files.push([s[entry.files[i]], s[entry.files[i + 1]]]);
    return { files, pulls: Array.from(entry.pulls, (i) => JSON.parse(s[i]) as Record<string, unknown>) };
  }

  /** The entry of a cluster, to carry over unchanged into the next cache (whose strings start as these). */
  public entry(cluster: string): CachedCluster {
    return this.cached.clusters[cluster];
  }

  /** The fleet's strings. */
  public get strings(): readonly string[] {
    return this.cached.strings;
  }
}

/** What this synth builds of a fleet, for the next one. */
export class FleetRecorder {
  private readonly strings: string[];
  private readonly index = new Map<string, number>();
  private readonly clusters: Record<string, CachedCluster> = {};

  /** `previous`: the clusters kept from it keep their entries as they are, its strings being the first ones here. */
  public constructor(private readonly declaration: FleetDeclaration, previous?: PreviousFleet) {
    this.strings = [...previous?.strings ?? []];
    this.strings.forEach((s, i) => this.index.set(s, i));
  }

  /**
   * Records a cluster built now: the calls its build made, its files (relative to its folder) and pulls. A cluster
   * whose calls cannot be made again (a function given a construct, a result holding a function) is not recorded.
   */
  public built(cluster: string, calls: readonly ProgramCall[], files: ReadonlyArray<readonly [name: string, digest: string]>,
    pulls: readonly Record<string, unknown>[]): void {
    const cached: number[] = [];
    const seen = new Set<string>();
    for (const call of calls) {
      const location = call.location ?? this.declaration.locateCall(call.fn, call.receiver);
      const receiver = this.declaration.encode(call.receiver);
      const args = this.declaration.encode(call.args);
      const result = this.declaration.hashValue(call.result);
      if (location === undefined || receiver === undefined || args === undefined || result === undefined) return;
      const ids = [this.intern(location), this.intern(receiver), this.intern(args), this.intern(result)];
      // The same call made again with the same result (a chart's version asked twice, a folder read per component):
      // calling it again once tells as much.
      const key = ids.join(' ');
      if (seen.has(key)) continue;
      seen.add(key);
      cached.push(...ids);
    }
    // Typed arrays: half the memory of arrays of numbers, for every cluster of a large fleet.
    this.clusters[cluster] = {
      calls: Int32Array.from(cached),
      files: Int32Array.from(files.flatMap(([name, digest]) => [this.intern(name), this.intern(digest)])),
      pulls: Int32Array.from(pulls, (p) => this.intern(JSON.stringify(p))),
    };
  }

  /** Carries over a cluster the previous synth built, taken as it was. */
  public kept(cluster: string, previous: PreviousFleet): void {
    this.clusters[cluster] = previous.entry(cluster);
  }

  /** The fleet as the cache file holds it: only the strings its clusters use. */
  public toJson(): CachedFleet {
    const used = new Int32Array(this.strings.length).fill(-1);
    const clusters = Object.values(this.clusters);
    for (const c of clusters) {
      for (const list of [c.calls, c.files, c.pulls]) for (let i = 0; i < list.length; i++) used[list[i]] = 0;
    }
    const strings: string[] = [];
    used.forEach((u, i) => {
      if (u === 0) used[i] = strings.push(this.strings[i]) - 1;
    });
    const at = (i: number) => used[i];
    return {
      declaration: this.declaration.hash,
      strings,
      clusters: Object.fromEntries(Object.entries(this.clusters).map(([name, c]) => [name, {
        calls: Array.from(c.calls, at),
        files: Array.from(c.files, at),
        pulls: Array.from(c.pulls, at),
      }])),
    };
  }

  private intern(s: string): number {
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.strings.push(s) - 1;
      this.index.set(s, i);
    }
    return i;
  }
}
