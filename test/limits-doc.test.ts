import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIRROR_LIMITS } from '../src/delivery/mirror.js';
import { REGISTRY_LIMITS } from '../src/delivery/oci/client.js';
import { COSIGN_SCRYPT_PARAMETERS } from '../src/delivery/signing/keys.js';
import { FALLBACK_SETTLE_MS, MAX_INDEX_WRITES, MAX_REFERRERS } from '../src/delivery/signing/referrers.js';
import { MAX_BUNDLE_BYTES } from '../src/delivery/signing/sign.js';
import { UNPACK_LIMITS } from '../src/flux/artifact/tar.js';
import { YAML_READ_LIMITS } from '../src/flux/core/yaml-reader.js';
import { DEFAULT_BUILD_MEMORY, DEFAULT_BUILD_TIMEOUT_MS } from '../src/output/validate/kustomize-build.js';

/** Every limit docs/limits.md lists, by the constant its last column names. */
const CONSTANTS: Record<string, number | readonly number[]> = {
  ...Object.fromEntries(Object.entries(REGISTRY_LIMITS).map(([k, v]) => [`REGISTRY_LIMITS.${k}`, v])),
  ...Object.fromEntries(Object.entries(UNPACK_LIMITS).map(([k, v]) => [`UNPACK_LIMITS.${k}`, v])),
  ...Object.fromEntries(Object.entries(MIRROR_LIMITS).map(([k, v]) => [`MIRROR_LIMITS.${k}`, v])),
  ...Object.fromEntries(Object.entries(YAML_READ_LIMITS).map(([k, v]) => [`YAML_READ_LIMITS.${k}`, v])),
  MAX_REFERRERS,
  MAX_BUNDLE_BYTES,
  MAX_INDEX_WRITES,
  FALLBACK_SETTLE_MS,
  COSIGN_SCRYPT_PARAMETERS: COSIGN_SCRYPT_PARAMETERS.map((p) => p.N),
  DEFAULT_BUILD_MEMORY,
  DEFAULT_BUILD_TIMEOUT_MS,
};

describe('docs/limits.md', () => {
  test('lists every limit with the value the code has', () => {
    // GIVEN the rows of its tables: value, then constant
    const rows = readFileSync(join(import.meta.dirname, '..', 'docs', 'limits.md'), 'utf8').split('\n')
      .filter((l) => /^\| .* \| `[A-Z_.a-zA-Z]+` \|$/.test(l))
      .map((l) => l.split(' | ').map((c) => c.replace(/^\| |`| \|$|`/g, '')));
    // WHEN
    const documented = Object.fromEntries(rows.map((cells) => {
      const numbers = (cells[1].split(' (')[0].match(/\d+/g) ?? []).map(Number);
      return [cells[cells.length - 1], numbers.length === 1 ? numbers[0] : numbers];
    }));
    // THEN
    expect(documented).toStrictEqual(CONSTANTS);
  });
});
