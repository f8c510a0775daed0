import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseYamlDocuments } from '../../flux/core/yaml-reader.js';
import { cleanStderr, DEFAULT_BUILD_MEMORY } from '../validate/kustomize-build.js';
import { KUSTOMIZATION_FILES } from '../validate/tree.js';

/** How long one `kubectl kustomize` of a folder may take. */
const BUILD_TIMEOUT_MS = 60_000;
/** The most output one build may give. */
const MAX_OUTPUT = 64 * 1024 * 1024;

/**
 * The objects a Kustomization applying `dir` would get: `kubectl kustomize dir` when it holds a kustomization file, else
 * every YAML file below it (as kustomize-controller generates a kustomization of them). `${VAR}` placeholders are
 * replaced from `variables` (postBuild substitution, `${VAR:=default}` included) before the documents are read.
 * Resolves to the documents, or to why the folder cannot be read.
 */
export async function folderObjects(dir: string, variables: Readonly<Record<string, string>> = {}): Promise<{ docs: unknown[] } | { error: string }> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return { error: `${dir} is not a folder` };
  const texts: string[] = [];
  // Without a kustomization file, kustomize-controller applies the YAML files below, and each folder with one built.
  for (const part of KUSTOMIZATION_FILES.some((f) => existsSync(join(dir, f))) ? [dir] : contentBelow(dir)) {
    if (part.endsWith('.yaml') || part.endsWith('.yml')) {
      texts.push(readFileSync(part, 'utf8'));
      continue;
    }
    const built = await kustomize(part);
    if ('error' in built) return built;
    texts.push(built.text);
  }
  const substituted = substitute(texts.join('\n---\n'), variables);
  try {
    const docs = parseYamlDocuments(substituted, dir).flatMap((d) => (d.errors.length > 0 ? [] : [d.toJS({ maxAliasCount: 100 })]));
    return { docs: docs.filter((d) => d !== null) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** `${VAR}` and `${VAR:=default}` replaced as Flux's postBuild substitution does; unknown variables without default stay. */
export function substitute(text: string, variables: Readonly<Record<string, string>>): string {
  return text.replace(/\$\{([_a-zA-Z][_a-zA-Z0-9]*)(?::=([^}]*))?\}/g, (whole, name: string, fallback: string | undefined) =>
    (Object.hasOwn(variables, name) ? variables[name] : fallback ?? whole));
}

function kustomize(dir: string): Promise<{ text: string } | { error: string }> {
  const kib = Math.ceil(DEFAULT_BUILD_MEMORY / 1024);
  return new Promise((done) => {
    execFile('/bin/sh', ['-c', 'ulimit -v "$1" || exit 125; exec kubectl kustomize "$2"', 'kubectl', String(kib), dir],
      { timeout: BUILD_TIMEOUT_MS, maxBuffer: MAX_OUTPUT, encoding: 'utf8' },
      (error, stdout, stderr) => done(error ? { error: `kubectl kustomize ${dir} fails: ${cleanStderr(stderr) || error.message}` } : { text: stdout }));
  });
}

/** The YAML files below a folder without a kustomization file, and the folders below it that have one. */
function contentBelow(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(KUSTOMIZATION_FILES.some((f) => existsSync(join(path, f))) ? [path] : contentBelow(path)));
    else if (entry.isFile() && /\.ya?ml$/.test(entry.name)) out.push(path);
  }
  return out;
}
