import { createHash } from 'node:crypto';
import { Shard, ValidationError } from '../../src/index.js';

/** The shard of 16 (from 1) a cluster name hashes to, worked out here from SHA-256 as documented. */
function expectedShard(name: string, count: number): number {
  return (createHash('sha256').update(name).digest().readUInt32BE(0) % count) + 1;
}

describe('Shard', () => {
  test('puts each cluster in exactly one shard, by the first four bytes of the SHA-256 of its name', () => {
    // GIVEN
    const names = Array.from({ length: 200 }, (_, i) => `prod-${i}`);
    const shards = Array.from({ length: 16 }, (_, i) => Shard.of(i + 1, 16));
    // WHEN
    const owners = names.map((n) => shards.filter((s) => s.includes(n)).map((s) => s.index));
    // THEN
    expect(owners).toStrictEqual(names.map((n) => [expectedShard(n, 16)]));
    expect(new Set(owners.flat()).size).toBe(16);
  });

  test('reads "<index>/<count>" from a string, the command line and the environment', () => {
    // GIVEN / WHEN / THEN
    expect(Shard.parse(' 3 / 16 ').toString()).toBe('3/16');
    expect(Shard.fromArgs(['main.ts', '--shard', '2/4'])?.toString()).toBe('2/4');
    expect(Shard.fromArgs(['--shard=4/4'])?.toString()).toBe('4/4');
    expect(Shard.fromArgs(['--verbose'])).toBeUndefined();
    expect(Shard.fromEnvironment({ FLUX_FLEET_SHARD: '1/2' })?.toString()).toBe('1/2');
    expect(Shard.fromEnvironment({})).toBeUndefined();
  });

  test('fails when a shard is not a whole number from 1 to its count', () => {
    // GIVEN / WHEN / THEN
    expect(() => Shard.parse('0/4')).toThrow(new ValidationError('shard 0 of 4 is not a whole number from 1 to 4; shards are numbered from 1, e.g. "1/4"', 'shard'));
    expect(() => Shard.parse('5/4', '--shard')).toThrow(new ValidationError('shard 5 of 4 is not a whole number from 1 to 4; shards are numbered from 1, e.g. "1/4"', '--shard'));
    expect(() => Shard.fromEnvironment({ FLUX_FLEET_SHARD: 'third' })).toThrow(
      new ValidationError('"third" is not a shard; write "<index>/<count>", e.g. "3/16" for the third of 16', 'FLUX_FLEET_SHARD'));
    expect(() => Shard.fromArgs(['--shard'])).toThrow(new ValidationError('--shard needs a value, e.g. "--shard 3/16"'));
    expect(() => Shard.of(1, 0)).toThrow(new ValidationError('shard count 0 is not a whole number from 1 to 10000; use e.g. 16'));
  });
});
