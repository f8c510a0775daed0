import { createHash } from 'node:crypto';
import { ValidationError } from '../flux/core/errors.js';

/** The environment variable naming the shard a program synthesizes, for programs that `cdk8s synth` runs. */
export const SHARD_ENVIRONMENT_VARIABLE = 'FLUX_FLEET_SHARD';

/**
 * One of `count` equal parts of a fleet's clusters, for a synth spread over the jobs of a CI matrix (a GitHub Actions
 * `matrix`, a GitLab `parallel:` job): shard `index` of `count` gets the clusters whose name hashes to it (the first
 * four bytes of its SHA-256, modulo `count`). The same cluster always falls in the same shard of a given count,
 * whatever else the fleet holds, so adding a cluster moves no other. `flux-fleet merge` puts the shards' folders
 * together into the tree a synth of the whole fleet writes.
 */
export class Shard {
  /** Shard `index` (from 1) of `count`. */
  public static of(index: number, count: number): Shard {
    if (!Number.isInteger(count) || count < 1 || count > 10_000) {
      throw new ValidationError(`shard count ${JSON.stringify(count)} is not a whole number from 1 to 10000; use e.g. 16`);
    }
    if (!Number.isInteger(index) || index < 1 || index > count) {
      throw new ValidationError(`shard ${JSON.stringify(index)} of ${count} is not a whole number from 1 to ${count}; shards are numbered from 1, e.g. "1/${count}"`);
    }
    return new Shard(index, count);
  }

  /**
   * A shard written `<index>/<count>`, e.g. `3/16`.
   * @param where where the text comes from, for the error, e.g. `--shard`
   */
  public static parse(text: string, where = 'shard'): Shard {
    const m = /^\s*([0-9]+)\s*\/\s*([0-9]+)\s*$/.exec(text);
    if (!m) throw new ValidationError(`${JSON.stringify(text)} is not a shard; write "<index>/<count>", e.g. "3/16" for the third of 16`, where);
    try {
      return Shard.of(Number(m[1]), Number(m[2]));
    } catch (e) {
      throw new ValidationError((e as Error).message, where);
    }
  }

  /**
   * The shard named by the environment variable `FLUX_FLEET_SHARD` (e.g. `3/16`), what a CI matrix job sets for a
   * program that `cdk8s synth` or `tsx` runs; undefined when it is not set. `FluxApp` reads it unless told a shard.
   */
  public static fromEnvironment(env: NodeJS.ProcessEnv = process.env): Shard | undefined {
    const value = env[SHARD_ENVIRONMENT_VARIABLE];
    return value === undefined || value === '' ? undefined : Shard.parse(value, SHARD_ENVIRONMENT_VARIABLE);
  }

  /**
   * The shard named by `--shard 3/16` (or `--shard=3/16`) among a program's arguments, for a program that takes it on
   * its command line: `new FluxApp({ shard: Shard.fromArgs() })`, run as `npx tsx main.ts --shard 3/16`; undefined when
   * absent. (`FluxApp` does not read the command line itself, which belongs to the program, or to a test runner with
   * a `--shard` of its own.)
   * @param argv the arguments @default - the process's, after the program's path
   */
  public static fromArgs(argv: readonly string[] = process.argv.slice(2)): Shard | undefined {
    for (let i = 0; i < argv.length; i++) {
      if (argv[i] === '--shard') {
        if (argv[i + 1] === undefined) throw new ValidationError('--shard needs a value, e.g. "--shard 3/16"');
        return Shard.parse(argv[i + 1], '--shard');
      }
      if (argv[i].startsWith('--shard=')) return Shard.parse(argv[i].slice('--shard='.length), '--shard');
    }
    return undefined;
  }

  private constructor(
    /** The shard, from 1. */
    public readonly index: number,
    /** How many shards the fleet is split into. */
    public readonly count: number,
  ) {}

  /** Whether the cluster named `name` is in this shard. */
  public includes(name: string): boolean {
    return createHash('sha256').update(name, 'utf8').digest().readUInt32BE(0) % this.count === this.index - 1;
  }

  /** `<index>/<count>`, e.g. `3/16`. */
  public toString(): string {
    return `${this.index}/${this.count}`;
  }
}
