import { Checks, q } from '../flux/core/rules.js';

/*
 * Checks of the names a fleet gives for forges (hosts, repositories) and of the CEL literals written for them, shared
 * by notifications and health reports.
 */

const GITHUB_OWNER = /^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$/;
const GITHUB_REPO = /^[A-Za-z0-9._-]+$/;
const HOST = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?$/i;

/** The text of a single-quoted CEL string literal. */
export function celString(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
}

/** Checks a GitHub `<owner>/<repo>`; a URL, an SSH address or a `.git` suffix gets a message with the fix. */
export function checkGithubRepository(c: Checks, label: string, repository: string): void {
  // A URL (https://github.com/acme/fleet), an SSH address (git@github.com:acme/fleet.git) or a host-prefixed path.
  const path = repository.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/^[^@/]+@([^:/]+):/, '$1/');
  const segments = path.split('/').filter((s) => s !== '');
  if (path !== repository || (segments[0] ?? '').includes('.')) {
    const [owner, repo] = segments.slice(1);
    const example = owner && repo ? `${owner}/${repo.replace(/\.git$/, '')}` : 'acme/fleet';
    c.add(`${label} repository ${q(repository)} is a URL; give "<owner>/<repo>" alone, e.g. ${q(example)} (and set host for GitHub Enterprise Server)`);
    return;
  }
  if (repository.endsWith('.git')) {
    c.add(`${label} repository ${q(repository)} ends with ".git"; give "<owner>/<repo>" without it, e.g. ${q(repository.slice(0, -'.git'.length))}`);
    return;
  }
  const [owner, repo, ...rest] = repository.split('/');
  const valid = rest.length === 0 && repo !== undefined
    && GITHUB_OWNER.test(owner) && owner.length <= 39
    && GITHUB_REPO.test(repo) && repo.length <= 100 && repo !== '.' && repo !== '..';
  if (!valid) c.add(`${label} repository ${q(repository)} is not "<owner>/<repo>"; use e.g. "acme/fleet"`);
}

/** Checks a forge host name (with an optional port); a scheme gets a message with the fix. */
export function checkHost(c: Checks, label: string, host: string): void {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(host);
  if (scheme) {
    c.add(`${label} host ${q(host)} carries a scheme; give the host alone, e.g. ${q(host.slice(scheme[0].length).replace(/\/.*$/, ''))}`);
  } else if (!HOST.test(host)) {
    c.add(`${label} host ${q(host)} is not a host name; use e.g. "github.com" or "github.acme.io"`);
  }
}
