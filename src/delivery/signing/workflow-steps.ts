import type { Fleet } from '../../fleet/fleet.js';
import type { SigningIdentity } from '../../fleet/signing.js';

const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

/** One signer of a release and the clusters whose artifacts it signs (those that verify it). */
export interface ReleaseSigner {
  /** The identity, as the clusters verify it. */
  readonly identity: SigningIdentity;
  /** The environments whose clusters verify it, sorted. */
  readonly environments: readonly string[];
  /** Those clusters, sorted. */
  readonly clusters: readonly string[];
}

interface Group {
  readonly identity: SigningIdentity;
  readonly environments: Set<string>;
  readonly clusters: string[];
}

/** The signers of a fleet's release: each environment's identity (its own, else the fleet's), with its clusters. */
export function releaseSignersOfFleet(fleet: Fleet<any>): ReleaseSigner[] {
  const groups: Group[] = [];
  for (const env of fleet.environments) {
    if (env.verify === false) continue;
    const identity = fleet.signingOf(env)?.identity();
    if (!identity) continue;
    add(groups, identity, env.name, env.clusters.map((c) => c.name));
  }
  return finish(groups);
}

/** A cluster and the identity it verifies. */
export interface SignedCluster {
  readonly identity: SigningIdentity;
  readonly environment?: string;
  readonly cluster: string;
}

/** Groups clusters by the identity they verify. */
export function releaseSigners(entries: ReadonlyArray<SignedCluster>): ReleaseSigner[] {
  const groups: Group[] = [];
  for (const e of entries) add(groups, e.identity, e.environment, [e.cluster]);
  return finish(groups);
}

function add(groups: Group[], identity: SigningIdentity, environment: string | undefined, clusters: string[]): void {
  const key = JSON.stringify(identity);
  let g = groups.find((x) => JSON.stringify(x.identity) === key);
  if (!g) groups.push(g = { identity, environments: new Set(), clusters: [] });
  if (environment !== undefined) g.environments.add(environment);
  g.clusters.push(...clusters);
}

function finish(groups: Group[]): ReleaseSigner[] {
  return groups
    .map((g) => ({ identity: g.identity, environments: [...g.environments].sort(), clusters: [...new Set(g.clusters)].sort() }))
    .sort((a, b) => (a.clusters[0] ?? '').localeCompare(b.clusters[0] ?? ''));
}

/** A signer for people: the workflow and ref (a `*` ref as a pattern), the exact identity, or the key's Secret. */
export function describeSigner(identity: SigningIdentity): string {
  if (!identity.keyless) return `the cosign key whose public part is in Secret ${identity.secretName} on the clusters`;
  if (identity.ci?.system === 'github-actions') return `https://github.com/${identity.ci.repository}/.github/workflows/${identity.ci.workflow}@${identity.ci.ref}`;
  return identity.regex ? `an identity matching ${identity.subject}` : identity.subject;
}

/** The GitHub Actions condition under which a run signs as `identity`: its ref (a `*` ref as a prefix). */
export function githubRefCondition(identity: SigningIdentity): string | undefined {
  if (!identity.keyless || identity.ci?.system !== 'github-actions') return undefined;
  const ref = identity.ci.ref;
  return ref.endsWith('*') ? `startsWith(github.ref, '${ref.slice(0, -1)}')` : `github.ref == '${ref}'`;
}

/**
 * The workflow steps that sign what the push step listed in `digestsFile` (`<host>/<repository>@<digest>` lines), as
 * each signer: `npx flux-fleet sign` over its clusters' artifacts (every artifact when there is one signer), keyless
 * with the job's OIDC token or with the `COSIGN_PRIVATE_KEY` and `COSIGN_PASSWORD` secrets; with several signers each
 * step runs only on the ref its identity names, so a run on main never signs what production verifies.
 */
export function signingSteps(signers: readonly ReleaseSigner[], digestsFile: string): Array<Record<string, unknown>> {
  return signers.map((s) => {
    const id = s.identity;
    const who = describeSigner(id);
    const filter = signers.length > 1 ? `grep -E '/clusters/(${s.clusters.join('|')})@' "${digestsFile}"` : `cat "${digestsFile}"`;
    const legacy = !id.keyless && id.legacySig ? ' --legacy-sig' : '';
    // The certificate identity this run gets, so that a re-run finds its bundle and signs nothing twice.
    const expected = id.keyless && id.ci?.system === 'github-actions'
      ? ` --certificate-identity "https://github.com/${id.ci.repository}/.github/workflows/${id.ci.workflow}@\${{ github.ref }}" --certificate-oidc-issuer ${GITHUB_ISSUER}`
      : '';
    const sign = id.keyless
      ? `${filter} | xargs -r npx flux-fleet sign${expected}`
      : `${filter} | xargs -r npx flux-fleet sign --key env://COSIGN_PRIVATE_KEY${legacy}`;
    const condition = signers.length > 1 ? githubRefCondition(id) : undefined;
    return {
      name: signers.length > 1 ? `Sign the artifacts of ${s.clusters.join(', ')} as ${who}` : `Sign every artifact as ${who}`,
      ...(condition ? { if: condition } : {}),
      ...(id.keyless ? {} : { env: { COSIGN_PRIVATE_KEY: '${{ secrets.COSIGN_PRIVATE_KEY }}', COSIGN_PASSWORD: '${{ secrets.COSIGN_PASSWORD }}' } }),
      run: sign,
    };
  });
}
