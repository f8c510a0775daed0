/**
 * Vendors the GitLab CI JSON schema that SchemaStore's catalog lists for `.gitlab-ci.yml` (entry "gitlab-ci", which
 * points at GitLab's own `app/assets/javascripts/editor/schema/ci.json`), for the test that checks the generated
 * pipeline. The descriptions are left out; the source and version are recorded in `$comment`.
 *
 * Usage: tsx scripts/vendor-gitlab-ci-schema.ts <schema.json> --source <where it was read> --version <commit or date>
 * Writes test/support/schemas/gitlab-ci.schema.json.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const input = args[0];
const option = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const source = option('source');
const version = option('version');
if (!input || !source || !version) {
  console.error('usage: tsx scripts/vendor-gitlab-ci-schema.ts <schema.json> --source <where it was read> --version <commit or date>');
  process.exit(2);
}

/** The schema without its prose: every description, markdown description and example list dropped. */
function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strip);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    // Prose only: a property of the schema named "description" (a job's release has one) is an object, and stays.
    if ((k === 'description' || k === 'markdownDescription') && typeof v === 'string') continue;
    if (k === 'examples' && Array.isArray(v)) continue;
    out[k] = strip(v);
  }
  return out;
}

const schema = strip(JSON.parse(readFileSync(input, 'utf8'))) as Record<string, unknown>;
const out = {
  $comment: `GitLab CI's JSON schema, SchemaStore catalog entry "gitlab-ci": ${source} at ${version}; descriptions left out by scripts/vendor-gitlab-ci-schema.ts`,
  ...schema,
};
const file = join(import.meta.dirname, '..', 'test', 'support', 'schemas', 'gitlab-ci.schema.json');
writeFileSync(file, `${JSON.stringify(out, null, 1)}\n`);
console.log(`wrote ${file} (${Object.keys((schema.definitions ?? {}) as object).length} definitions)`);
