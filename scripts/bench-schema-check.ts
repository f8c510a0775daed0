/**
 * Cost of the schema checker per object: every Flux object of the example fleets' committed output (examples/*\/dist),
 * checked with `checkFluxSchema` against the minor of its cluster (as `flux-fleet validate` reads it), the way synth and
 * `flux-fleet validate` check each object.
 *
 * Printed: the objects and their kinds; the first pass (which compiles each kind's schema and CEL rules, once per
 * minor), then the median per-object time of later passes, per kind and overall, and what that gives for 600,000
 * objects (a 10,000-cluster fleet), before any caching of identical objects.
 *
 * Usage: npx tsx scripts/bench-schema-check.ts [--passes=N]   (default 50)
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_FLUX_MINOR, FluxMinor } from '../src/flux/core/flux-version.js';
import { checkFluxSchema, isFluxGroup } from '../src/flux/schema-registry.js';
import { clusterFluxMinors } from '../src/output/validate/flux-minor.js';
import { readTree } from '../src/output/validate/tree.js';

const passes = Number(process.argv.find((a) => a.startsWith('--passes='))?.slice('--passes='.length) ?? 50);

/** Every Flux object of every cluster of the examples' output, with its cluster's minor (as validate reads it). */
async function objects(): Promise<Array<{ object: Record<string, unknown>; minor: FluxMinor }>> {
  const out: Array<{ object: Record<string, unknown>; minor: FluxMinor }> = [];
  for (const example of readdirSync('examples')) {
    const dist = join('examples', example, 'dist');
    if (!existsSync(join(dist, 'clusters'))) continue;
    const tree = await readTree(dist);
    const minors = clusterFluxMinors(tree.objects).byCluster;
    for (const o of tree.objects) {
      const minor = (o.cluster !== undefined ? minors.get(o.cluster) : undefined) ?? DEFAULT_FLUX_MINOR;
      if (isFluxGroup(o.group)) out.push({ object: o.raw, minor });
    }
  }
  return out;
}

const all = await objects();
const kinds = new Map<string, number>();
for (const { object } of all) kinds.set(String(object.kind), (kinds.get(String(object.kind)) ?? 0) + 1);
console.log(`${all.length} Flux objects of ${new Set(all.map((o) => o.minor)).size} minors (${[...new Set(all.map((o) => o.minor))].join(', ')}), ${kinds.size} kinds`);

let start = performance.now();
let errors = 0;
for (const { object, minor } of all) errors += checkFluxSchema(object, { fluxMinor: minor }).length;
const first = performance.now() - start;
console.log(`first pass (compiles each kind's schema and rules): ${first.toFixed(1)} ms, ${errors} errors`);

const perKind = new Map<string, number[]>();
const totals: number[] = [];
for (let pass = 0; pass < passes; pass++) {
  const passStart = performance.now();
  for (const { object, minor } of all) {
    start = performance.now();
    checkFluxSchema(object, { fluxMinor: minor });
    const took = performance.now() - start;
    const list = perKind.get(String(object.kind)) ?? [];
    list.push(took);
    perKind.set(String(object.kind), list);
  }
  totals.push((performance.now() - passStart) / all.length);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const perObject = median(totals);
console.log(`later passes (${passes}): median ${(perObject * 1000).toFixed(1)} µs per object`);
for (const [kind, times] of [...perKind].sort((a, b) => median(b[1]) - median(a[1]))) {
  console.log(`  ${kind.padEnd(24)} ${String(kinds.get(kind)).padStart(4)} objects  median ${(median(times) * 1000).toFixed(1).padStart(6)} µs`);
}
console.log(`600,000 objects at that rate: ${(perObject * 600_000 / 1000).toFixed(1)} s on one core, before caching identical objects`);
