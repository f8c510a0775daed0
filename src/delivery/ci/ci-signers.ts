import { describeSigner, type ReleaseSigner, type ReleaseWorkflowSpec } from './release-spec.js';
import type { CiSigner } from '../../fleet/signing.js';
import { DeliveryError } from '../artifacts.js';

/** The CI systems flux-fleet writes release pipelines for. */
export type CiSystem = 'github-actions' | 'gitlab-ci';

/** When a signer's runs happen: on one ref, on every ref with a prefix, or on the default branch (a key signer). */
export type SignerRefs = { readonly exact: string } | { readonly prefix: string } | { readonly defaultBranch: string };

/** One signer as a pipeline runs it. */
export interface PlannedSigner {
  /** Its number in the pipeline (1, 2...): it names its variables, steps and jobs, never a fleet string. */
  readonly index: number;
  /** The signer: who signs, with what, for which environments. */
  readonly signer: ReleaseSigner;
  /** When it signs. */
  readonly refs: SignerRefs;
  /** A key signer: the CI secrets (or variables) holding the private key and its password. @default - keyless */
  readonly key?: { readonly privateKey: string; readonly password: string; readonly legacySig: boolean };
  /** A keyless signer: the certificate identity without the ref, and its issuer. @default - a key signer */
  readonly keyless?: { readonly identityPrefix: string; readonly issuer: string };
  /** The environments whose tags a run of this signer moves (those that verify it and deploy on push). */
  readonly moves: readonly string[];
}

/** The signers of a release as one pipeline runs them. */
export interface SignerPlan {
  /** The signers, in the order the pipeline numbers them. */
  readonly signers: readonly PlannedSigner[];
  /** The CI repository (`owner/repo`) or project (`group/project`) keyless signers sign in. @default - any (keys only) */
  readonly repository?: string;
  /** The pipeline file keyless signers sign as (a workflow file name, or a GitLab CI configPath). @default - the CI system's default */
  readonly file?: string;
  /** The GitLab instance of GitLab keyless signers. @default - none */
  readonly gitlabHost?: string;
}

/** Options of {@link planSigners}. */
export interface SignerPlanOptions {
  /** The branch key signers sign on. @default "main" on GitHub Actions, the project's default branch on GitLab CI */
  readonly branch?: string;
  /** A private Sigstore instance's Fulcio and Rekor, for GitLab signers the clusters verify under its root. @default - the public instance */
  readonly privateSigstore?: boolean;
}

/**
 * How one pipeline of `system` signs for every environment: each signer with the refs it runs on, a key from CI
 * secrets or the job's own keyless identity. Refuses, listing every problem with its fix, a setup one pipeline of that
 * system cannot sign: a keyless signer of another CI system or of no CI system, notation, signers of different
 * repositories or pipeline files, or a private Sigstore instance it is not told of.
 */
export function planSigners(spec: ReleaseWorkflowSpec, system: CiSystem, options: SignerPlanOptions = {}): SignerPlan {
  const problems: string[] = [];
  if (options.branch !== undefined && !/^[A-Za-z0-9._/-]+$/.test(options.branch)) {
    problems.push(`branch ${JSON.stringify(options.branch)} is not a branch name a pipeline can filter on; use letters, digits, '.', '_', '/' and '-'`);
  }
  const promoted = new Set((spec.promotions ?? []).map((p) => p.environment));
  const deploys = (e: string) => (spec.deployOnPush ? spec.deployOnPush.includes(e) : !promoted.has(e));
  const keySigners = spec.signers.filter((s) => !s.identity.keyless);
  const pipelines = new Map<string, CiSigner>();
  const signers: PlannedSigner[] = [];
  for (const s of spec.signers) {
    const id = s.identity;
    const whose = s.environments.length > 0 ? s.environments.join(', ') : s.clusters.join(', ');
    const index = signers.length + 1;
    const moves = s.environments.filter(deploys);
    if (!id.keyless) {
      if (id.tool !== 'cosign') {
        problems.push(`${whose} verify notation signatures, and the generated pipeline signs with cosign: write the notation signing step yourself, or declare Signing.cosignKey for ${whose}`);
        continue;
      }
      const suffix = keySigners.length > 1 ? `_${id.secretName.toUpperCase().replace(/[^A-Z0-9]/g, '_')}` : '';
      signers.push({
        index,
        signer: s,
        moves,
        refs: { defaultBranch: options.branch ?? (system === 'github-actions' ? 'main' : '') },
        key: { privateKey: `COSIGN_PRIVATE_KEY${suffix}`, password: `COSIGN_PASSWORD${suffix}`, legacySig: id.legacySig === true },
      });
      continue;
    }
    const ci = id.ci;
    const wanted = system === 'github-actions' ? 'Signing.githubActions({ repository, workflow, ref })' : 'Signing.gitlabCi({ project, ref })';
    if (!ci) {
      problems.push(`${whose} verify ${describeSigner(id)}, which no CI pipeline signs as: sign their artifacts yourself (flux-fleet push <dir> --registry --sign --identity-token <token>), or declare ${wanted} or Signing.cosignKey for ${whose}`);
      continue;
    }
    if (ci.system !== system) {
      problems.push(system === 'github-actions'
        ? `${whose} verify ${describeSigner(id)}, a GitLab CI pipeline, which a GitHub Actions workflow cannot sign as: generate the GitLab pipeline (flux-fleet workflow --gitlab), or declare ${wanted} or Signing.cosignKey for ${whose}`
        : `${whose} verify ${describeSigner(id)}, a GitHub Actions workflow, which a GitLab CI pipeline cannot sign as: generate the workflow (flux-fleet workflow without --gitlab), or declare ${wanted} or Signing.cosignKey for ${whose}`);
      continue;
    }
    if (id.trustedRootSecretName !== undefined && (system === 'github-actions' || !options.privateSigstore)) {
      problems.push(system === 'github-actions'
        ? `${whose} verify ${describeSigner(id)} under a private Sigstore instance (trustedRootSecretRef ${id.trustedRootSecretName}), and a GitHub Actions workflow signs with the public one: write the signing step for your instance yourself`
        : `${whose} verify ${describeSigner(id)} under a private Sigstore instance (trustedRootSecretRef ${id.trustedRootSecretName}), and the pipeline would sign with the public one: give the instance's Fulcio and Rekor (--fulcio-url and --rekor-url, or the options fulcioUrl and rekorUrl)`);
      continue;
    }
    pipelines.set(pipelineOf(ci), ci);
    const prefix = ci.system === 'github-actions'
      ? `https://github.com/${ci.repository}/.github/workflows/${ci.workflow}@`
      : `https://${ci.host}/${ci.project}//${ci.configPath}@`;
    signers.push({
      index,
      signer: s,
      moves,
      refs: ci.ref.endsWith('*') ? { prefix: ci.ref.slice(0, -1) } : { exact: ci.ref },
      keyless: { identityPrefix: prefix, issuer: ci.system === 'github-actions' ? 'https://token.actions.githubusercontent.com' : `https://${ci.host}` },
    });
  }
  if (pipelines.size > 1) {
    problems.push(`the environments are signed by different pipelines (${[...pipelines.keys()].join(', ')}), and one pipeline signs as one: declare the same ${system === 'github-actions' ? 'repository and workflow' : 'project, host and configPath'} for every environment (refs may differ), or sign some with a key (Signing.cosignKey)`);
  }
  if (problems.length > 0) throw new DeliveryError(problems.join('\n'));
  const ci = [...pipelines.values()][0];
  return {
    signers,
    ...(ci ? { repository: ci.system === 'github-actions' ? ci.repository : ci.project, file: ci.system === 'github-actions' ? ci.workflow : ci.configPath } : {}),
    ...(ci?.system === 'gitlab-ci' ? { gitlabHost: ci.host } : {}),
  };
}

/** The promotions a signer's runs may start: those of the environments that verify it. */
export function promotesOf(signer: PlannedSigner, spec: ReleaseWorkflowSpec): number[] {
  return (spec.promotions ?? []).flatMap((p, i) => (signer.signer.environments.includes(p.environment) ? [i + 1] : []));
}

function pipelineOf(ci: CiSigner): string {
  return ci.system === 'github-actions' ? `${ci.repository}/.github/workflows/${ci.workflow}` : `${ci.host}/${ci.project}//${ci.configPath}`;
}
