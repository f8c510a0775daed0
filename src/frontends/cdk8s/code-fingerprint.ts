import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

let memo: string | undefined;

/**
 * A hash of the code that turns a fleet's declaration into files: every file of flux-fleet's own code (the `lib/` or
 * `src/` folder it runs from) and its package.json, the name and version of each package it depends on, the Node.js
 * version, and the environment variables that change how objects are rendered. A synth cache written under another
 * fingerprint is not used: another flux-fleet version (or any edit of its code) builds every cluster again.
 */
export function codeFingerprint(): string {
  if (memo !== undefined) return memo;
  const hash = createHash('sha256');
  const self = fileURLToPath(import.meta.url);
  // This file is <root>/frontends/cdk8s/code-fingerprint.{ts,js}, <root> being src/ or lib/; in a program bundled with
  // its dependencies, the bundle is the code.
  const root = path.resolve(path.dirname(self), '..', '..');
  const packageRoot = path.dirname(root);
  const manifest = readPackage(path.join(packageRoot, 'package.json'));
  if (manifest?.name !== 'flux-fleet' || path.basename(path.dirname(self)) !== 'cdk8s') {
    memo = hash.update(fs.readFileSync(self)).update(`\0node ${process.version}\0CDK8S_DISABLE_SORT=${process.env.CDK8S_DISABLE_SORT ?? ''}`).digest('base64url');
    return memo;
  }
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(full);
      } else if (entry.isFile()) {
        hash.update(`${path.relative(root, full)}\0`).update(fs.readFileSync(full)).update('\0');
      }
    }
  };
  walk(root);
  hash.update(`package.json\0${JSON.stringify(manifest ?? null)}\0`);
  const dependencies = Object.keys({ ...(manifest?.dependencies as Record<string, string> | undefined) }).sort();
  for (const name of dependencies) hash.update(`${name}@${dependencyVersion(packageRoot, name) ?? 'missing'}\0`);
  hash.update(`node ${process.version}\0CDK8S_DISABLE_SORT=${process.env.CDK8S_DISABLE_SORT ?? ''}\0`);
  memo = hash.digest('base64url');
  return memo;
}

/** The version of a package as Node would find it from `from`: in the nearest node_modules folder holding it. */
function dependencyVersion(from: string, name: string): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const version = readPackage(path.join(dir, 'node_modules', name, 'package.json'))?.version;
    if (typeof version === 'string') return version;
    if (path.dirname(dir) === dir) return undefined;
  }
}

function readPackage(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
