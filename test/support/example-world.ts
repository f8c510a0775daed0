import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CiRunner } from './ci-runner.js';
import { TestRegistry } from './registry.js';
import { FakeSigstore } from './sigstore.js';
import { Destinations } from '../../src/delivery/index.js';

/*
 * What the example fleet (examples/fleet) releases to, on loopback: one registry per region of its ECR, one standing
 * in for the publishers (ghcr.io), all reached through host aliases; a Sigstore instance standing in for the public
 * one; and the runner that plays the generated CI's jobs against them, in `<dir>/work`.
 */

export const REGIONS = ['ap-southeast-1', 'eu-west-1', 'us-east-1'] as const;
export type Region = typeof REGIONS[number];
/** The example's registry host in each region. */
export const HOST: Record<Region, string> = {
  'ap-southeast-1': '123456789012.dkr.ecr.ap-southeast-1.amazonaws.com',
  'eu-west-1': '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
  'us-east-1': '123456789012.dkr.ecr.us-east-1.amazonaws.com',
};

export class ExampleWorld {
  /** Starts the registries and Sigstore, and writes the Sigstore instance's trusted root to `<dir>/sigstore-root.json`. */
  public static async start(dir: string): Promise<ExampleWorld> {
    const [upstream, ap, eu, us, sigstore] = await Promise.all([
      TestRegistry.start(), TestRegistry.start(), TestRegistry.start(), TestRegistry.start(), FakeSigstore.start(),
    ]);
    writeFileSync(join(dir, 'sigstore-root.json'), JSON.stringify(sigstore.trustedRoot));
    return new ExampleWorld(dir, upstream, { 'ap-southeast-1': ap, 'eu-west-1': eu, 'us-east-1': us }, sigstore);
  }

  /** The registries by host, as the library reaches them. */
  public readonly destinations: Destinations;
  /** The generated CI's jobs, run in `<dir>/work`. */
  public readonly runner: CiRunner;

  private constructor(
    dir: string,
    public readonly upstream: TestRegistry,
    public readonly registries: Record<Region, TestRegistry>,
    public readonly sigstore: FakeSigstore,
  ) {
    this.destinations = new Destinations({ hostAliases: this.aliasMap(), retry: { retries: 1, baseDelayMs: 20, maxDelayMs: 50 } });
    this.runner = new CiRunner({ hostAliases: this.aliases(), trustedRoot: join(dir, 'sigstore-root.json'), sigstoreUrl: sigstore.url, workdir: join(dir, 'work') });
  }

  /** Each real host, to the loopback registry standing in for it. */
  public aliasMap(): Record<string, string> {
    return { 'ghcr.io': this.upstream.host, ...Object.fromEntries(REGIONS.map((r) => [HOST[r], this.registries[r].host])) };
  }

  /** The value of `--host-alias`. */
  public aliases(): string {
    return Object.entries(this.aliasMap()).map(([from, to]) => `${from}=${to}`).join(',');
  }

  public async close(): Promise<void> {
    this.destinations.close();
    this.runner.close();
    await Promise.all([this.upstream, ...Object.values(this.registries)].map((r) => r.destroy()));
    await this.sigstore.stop();
  }
}
