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

/** A signer for people: the workflow or pipeline and ref (a `*` ref as a pattern), the exact identity, or the key's Secret. */
export function describeSigner(identity: SigningIdentity): string {
  if (!identity.keyless) return `the cosign key whose public part is in Secret ${identity.secretName} on the clusters`;
  if (identity.ci?.system === 'github-actions') return `https://github.com/${identity.ci.repository}/.github/workflows/${identity.ci.workflow}@${identity.ci.ref}`;
  if (identity.ci?.system === 'gitlab-ci') return `https://${identity.ci.host}/${identity.ci.project}//${identity.ci.configPath}@${identity.ci.ref}`;
  return identity.regex ? `an identity matching ${identity.subject}` : identity.subject;
}

/** The GitHub Actions condition under which a run signs as `identity`: its ref (a `*` ref as a prefix). */
export function githubRefCondition(identity: SigningIdentity): string | undefined {
  if (!identity.keyless || identity.ci?.system !== 'github-actions') return undefined;
  const ref = identity.ci.ref;
  return ref.endsWith('*') ? `startsWith(github.ref, ${expressionString(ref.slice(0, -1))})` : `github.ref == ${expressionString(ref)}`;
}

/** A string literal of a GitHub Actions expression: single quotes, doubled inside. */
function expressionString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * The workflow steps that sign what the push step listed in `digestsFile` (`<host>/<repository>@<digest>` lines): the
 * component artifacts and every cluster's candidate, with `npx flux-fleet sign`, keyless with the job's OIDC token or
 * with the `COSIGN_PRIVATE_KEY` and `COSIGN_PASSWORD` secrets. With several keyless signers each step runs only on the
 * ref its identity names, so a run on main signs as main's identity and never as the one production verifies. Strings
 * from the fleet reach the shell only through `env:`.
 */
export function signingSteps(signers: readonly ReleaseSigner[], digestsFile: string): Array<Record<string, unknown>> {
  return signers.map((s) => {
    const id = s.identity;
    const who = describeSigner(id);
    const legacy = !id.keyless && id.legacySig ? ' --legacy-sig' : '';
    // The certificate identity this run gets, so that a re-run finds its bundle and signs nothing twice.
    const expected = id.keyless && id.ci?.system === 'github-actions'
      ? { FLUX_FLEET_CERT_IDENTITY: `https://github.com/${id.ci.repository}/.github/workflows/${id.ci.workflow}@\${{ github.ref }}`, FLUX_FLEET_CERT_ISSUER: GITHUB_ISSUER }
      : undefined;
    const sign = id.keyless
      ? `xargs -r npx flux-fleet sign${expected ? ' --certificate-identity "$FLUX_FLEET_CERT_IDENTITY" --certificate-oidc-issuer "$FLUX_FLEET_CERT_ISSUER"' : ''} < "$FLUX_FLEET_DIGESTS"`
      : `xargs -r npx flux-fleet sign --key env://COSIGN_PRIVATE_KEY${legacy} < "$FLUX_FLEET_DIGESTS"`;
    const condition = signers.length > 1 ? githubRefCondition(id) : undefined;
    return {
      name: signers.length > 1
        ? `Sign what this run pushed as ${who}, the signer of ${s.environments.length > 0 ? s.environments.join(', ') : s.clusters.join(', ')}`
        : `Sign every pushed artifact as ${who}`,
      ...(condition ? { if: condition } : {}),
      env: {
        FLUX_FLEET_DIGESTS: digestsFile,
        ...expected,
        ...(id.keyless ? {} : { COSIGN_PRIVATE_KEY: '${{ secrets.COSIGN_PRIVATE_KEY }}', COSIGN_PASSWORD: '${{ secrets.COSIGN_PASSWORD }}' }),
      },
      run: sign,
    };
  });
}
