import { Document } from 'yaml';
import { planSigners, promotesOf, type PlannedSigner, type SignerPlan } from './ci-signers.js';
import { GENERATED_HEADER } from './github-workflow.js';
import { checkedSpec, githubEnvironmentOf, type GeneratedWorkflow, type RegistryLogin, type ReleaseWorkflowSpec } from './release-spec.js';
import { checkedSynthShards, SHARDS_FOLDER } from './synth-shards.js';

/** Options of the generated GitLab CI pipeline. */
export interface GitlabPipelineOptions {
  /** The command that synthesizes the config tree. @default "npm run synth" */
  readonly synthCommand?: string;
  /** The folder the synth writes (holding clusters/). @default "dist" */
  readonly outdir?: string;
  /** The Node.js version of the jobs' image (`node:<version>`). @default "24" */
  readonly nodeVersion?: string;
  /**
   * The jobs' image. It needs Node.js and npm, and the CLI of each cloud whose registry is pushed to (`aws`, `az`,
   * `gcloud`).
   * @default - `node:<nodeVersion>`
   */
  readonly image?: string;
  /** Extra arguments of `flux-fleet push`, e.g. `--concurrency 8`. @default - none */
  readonly pushArguments?: string;
  /** The branch key signers sign on (a key has no ref of its own). @default - the project's default branch */
  readonly branch?: string;
  /** The Fulcio instance that issues the pipeline's certificates. @default - the public Sigstore instance */
  readonly fulcioUrl?: string;
  /** The Rekor instance that logs the signatures. @default - the public Sigstore instance */
  readonly rekorUrl?: string;
  /**
   * Synthesize in this many shards: job `synth`, `parallel:` that many, runs the synth command with
   * `FLUX_FLEET_SHARD=$CI_NODE_INDEX/$CI_NODE_TOTAL` and keeps the shard's folder as an artifact; the other jobs need
   * it and put the shards together with `flux-fleet merge` instead of synthesizing (see `synthShardsFor`).
   * @default 1: each job synthesizes the whole fleet
   */
  readonly synthShards?: number;
}

/**
 * Writes a Docker `config.json` entry (read by `flux-fleet push` and `promote`): the host and user name are its
 * arguments, the password comes on standard input, so that no credential is on a command line.
 */
const LOGIN_SCRIPT = 'const fs = require("fs"), path = require("path"); const dir = process.env.DOCKER_CONFIG, file = path.join(dir, "config.json");'
  + ' const config = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : {};'
  + ' const password = fs.readFileSync(0, "utf8").trim();'
  + ' config.auths = { ...config.auths, [process.argv[1]]: { auth: Buffer.from(process.argv[2] + ":" + password).toString("base64") } };'
  + ' fs.mkdirSync(dir, { recursive: true, mode: 0o700 }); fs.writeFileSync(file, JSON.stringify(config), { mode: 0o600 });';

/**
 * A GitLab CI pipeline (`.gitlab-ci.yml`, or the GitLab identity's `configPath`) for the safe path from a push on the
 * fleet project to production, for any mix of the signers the clusters verify: a key (from the CI/CD variables
 * `COSIGN_PRIVATE_KEY` and `COSIGN_PASSWORD`, on the default branch) or the pipeline's own keyless identity, each
 * environment its own, on the refs it names.
 *
 * One job `release-<n>` per signer, on the refs it signs on (in the signers' project): it synthesizes and validates
 * the tree, logs in to each registry, mirrors, pushes the release holding every tag and signs what its clusters verify
 * (`push --hold-tags --sign`, keyless with the `SIGSTORE_ID_TOKEN` ID token, audience `sigstore`), then moves the tags
 * of its environments that deploy on push (`push --environment`, which checks first that every cluster would accept
 * its candidate) and runs `verify-release` for its environments. Then one manual job per production wave, each after
 * the one before, on the refs whose signer that environment verifies, in the GitLab environment `<environment>-wave-<n>`
 * (protect those environments with required approvals): it promotes the wave to the commit. Where the environment's
 * clusters report their health (`rollout.report`), a job rolls out instead (`flux-fleet rollout`, with the
 * environment's soak, progress deadline and failures tolerated): one from the first wave, running when the release
 * succeeded, and one manual job from each wave that needs a person's approval, each through the waves up to the next;
 * the clusters' statuses are read with the masked CI/CD variable GITLAB_TOKEN (GITHUB_TOKEN for a GitHub report).
 *
 * The pipeline is built as data and serialized: every string from the fleet reaches it only as a value of
 * `variables:` (with `$` doubled, so that GitLab expands nothing in it), never in `rules:`, a job's name, its
 * environment or its script, and every name is checked as synth checks it. Registry credentials are CI/CD variables
 * that reach only their registry: ECR assumes the role `FLUX_FLEET_AWS_ROLE_ARN` with the pipeline's ID token; ACR
 * logs in as the federated service principal `AZURE_CLIENT_ID` of `AZURE_TENANT_ID`; Artifact Registry uses the File
 * variable `GOOGLE_APPLICATION_CREDENTIALS`; GHCR `GHCR_USERNAME` and `GHCR_TOKEN`; the project's own registry the
 * job token; any other `REGISTRY_USERNAME` and `REGISTRY_PASSWORD`.
 */
export function gitlabReleasePipeline(spec: ReleaseWorkflowSpec, options: GitlabPipelineOptions = {}): GeneratedWorkflow {
  checkedSpec(spec);
  const plan = planSigners(spec, 'gitlab-ci', { branch: options.branch, privateSigstore: options.fulcioUrl !== undefined && options.rekorUrl !== undefined });
  const promotions = spec.promotions ?? [];
  const logins = loginOf(spec.registries);
  const variables: Record<string, string> = {
    FLUX_FLEET_DIR: literal(options.outdir ?? 'dist'),
    // The whole history, so that push can tell a revision older than the one an environment holds.
    GIT_DEPTH: '0',
    DOCKER_CONFIG: '$CI_BUILDS_DIR/.flux-fleet-docker-$CI_JOB_ID',
    ...logins.variables,
    ...signerVariables(plan),
    ...(options.pushArguments ? { FLUX_FLEET_PUSH_ARGS: literal(options.pushArguments) } : {}),
    ...(options.fulcioUrl ? { FLUX_FLEET_FULCIO_URL: literal(options.fulcioUrl) } : {}),
    ...(options.rekorUrl ? { FLUX_FLEET_REKOR_URL: literal(options.rekorUrl) } : {}),
  };
  const push = 'npx flux-fleet push "$FLUX_FLEET_DIR" --registry --source "$CI_PROJECT_URL" --revision "sha1:$CI_COMMIT_SHA"'
    + (options.pushArguments ? ' $FLUX_FLEET_PUSH_ARGS' : '');
  const sigstore = `${options.fulcioUrl ? ' --fulcio-url "$FLUX_FLEET_FULCIO_URL"' : ''}${options.rekorUrl ? ' --rekor-url "$FLUX_FLEET_REKOR_URL"' : ''}`;
  const shards = checkedSynthShards(options.synthShards);
  const synthesize = ['npm ci', options.synthCommand ?? 'npm run synth'];
  const setup = shards > 1 ? ['npm ci', `npx flux-fleet merge ${SHARDS_FOLDER}/* --output "$FLUX_FLEET_DIR"`] : synthesize;
  // The jobs that need the shards name job synth: with needs:, a job gets the artifacts of the jobs it names only.
  const synthNeeds = shards > 1 ? [{ job: 'synth' }] : [];
  const jobs: Record<string, unknown> = {};
  if (shards > 1) {
    jobs.synth = {
      stage: 'synth',
      parallel: shards,
      variables: { FLUX_FLEET_SHARD: '$CI_NODE_INDEX/$CI_NODE_TOTAL' },
      // Whenever a release job runs.
      rules: plan.signers.map((s) => ({ if: condition(s, plan) })),
      script: [...synthesize, `mkdir -p ${SHARDS_FOLDER}`, `mv "$FLUX_FLEET_DIR" "${SHARDS_FOLDER}/$CI_NODE_INDEX"`],
      artifacts: { paths: [`${SHARDS_FOLDER}/`] },
    };
  }
  for (const s of plan.signers) {
    const n = `FLUX_FLEET_SIGNER_${s.index}`;
    const sign = s.key
      ? `--sign --key env://${s.key.privateKey}${s.key.legacySig ? ' --legacy-sig' : ''}`
      : `--sign --certificate-identity "$${n}_IDENTITY_PREFIX$FLUX_FLEET_REF" --certificate-oidc-issuer "$${n}_ISSUER"${sigstore}`;
    const idTokens = { ...(s.keyless ? { SIGSTORE_ID_TOKEN: { aud: 'sigstore' } } : {}), ...logins.idTokens };
    jobs[`release-${s.index}`] = {
      stage: 'release',
      ...(shards > 1 ? { needs: synthNeeds } : {}),
      resource_group: 'flux-fleet-release',
      ...(Object.keys(idTokens).length > 0 ? { id_tokens: idTokens } : {}),
      variables: {
        FLUX_FLEET_ENVIRONMENTS: `$${n}_ENVIRONMENTS`,
        FLUX_FLEET_MOVES: `$${n}_MOVES`,
        // The key's password, under the name flux-fleet reads, when its CI/CD variable has another.
        ...(s.key && s.key.password !== 'COSIGN_PASSWORD' ? { COSIGN_PASSWORD: `$${s.key.password}` } : {}),
      },
      rules: [{ if: condition(s, plan) }],
      script: [
        ...setup,
        'npx flux-fleet validate "$FLUX_FLEET_DIR"',
        ...logins.script,
        'npx flux-fleet mirror "$FLUX_FLEET_DIR"',
        // The certificate identity of this run: its ref, a branch or a tag.
        ...(s.keyless ? ['if [ -n "${CI_COMMIT_TAG:-}" ]; then FLUX_FLEET_REF="refs/tags/$CI_COMMIT_TAG"; else FLUX_FLEET_REF="refs/heads/$CI_COMMIT_BRANCH"; fi'] : []),
        `${push} --hold-tags ${sign}`,
        `if [ -n "$FLUX_FLEET_MOVES" ]; then ${push} --environment "$FLUX_FLEET_MOVES"; fi`,
        'npx flux-fleet verify-release "$FLUX_FLEET_DIR" --revision "sha1:$CI_COMMIT_SHA" --environment "$FLUX_FLEET_ENVIRONMENTS"',
      ],
    };
  }
  promotions.forEach((p, i) => {
    const k = i + 1;
    const covering = plan.signers.filter((s) => promotesOf(s, spec).includes(k));
    let before = -1;
    promotions.forEach((q, j) => {
      if (j < i && q.environment === p.environment) before = j;
    });
    const r = p.rollout;
    // A rollout step that needs no person's approval runs when the one before it succeeded; every other step waits
    // for a person (protect its environment with required approvals).
    const when = r && !r.approval ? 'on_success' : 'manual';
    jobs[`promote-${k}`] = {
      stage: 'promote',
      needs: [
        ...synthNeeds,
        ...covering.map((s) => ({ job: `release-${s.index}`, optional: true })),
        ...(before >= 0 ? [{ job: `promote-${before + 1}`, optional: true }] : []),
      ],
      resource_group: `flux-fleet-promote-${k}`,
      environment: { name: '$FLUX_FLEET_GITLAB_ENVIRONMENT', deployment_tier: 'production' },
      ...(Object.keys(logins.idTokens).length > 0 ? { id_tokens: logins.idTokens } : {}),
      variables: {
        FLUX_FLEET_ENVIRONMENT: literal(p.environment),
        FLUX_FLEET_GITLAB_ENVIRONMENT: literal(githubEnvironmentOf(p)),
        ...(p.wave !== undefined ? { FLUX_FLEET_WAVE: String(p.wave) } : {}),
        ...(r ? { FLUX_FLEET_UNTIL_WAVE: String(r.untilWave) } : {}),
      },
      rules: covering.length === 0 ? [{ when: 'never' }] : covering.map((s) => ({ if: condition(s, plan), when })),
      script: [
        ...setup,
        ...logins.script,
        r
          ? 'npx flux-fleet rollout "$FLUX_FLEET_DIR" --registry --environment "$FLUX_FLEET_ENVIRONMENT" --revision "sha1:$CI_COMMIT_SHA"'
            + `${r.approval ? ' --approve-wave "$FLUX_FLEET_WAVE"' : ''} --until-wave "$FLUX_FLEET_UNTIL_WAVE"`
            // The clusters' statuses are read with the CI/CD variable GITLAB_TOKEN (or GITHUB_TOKEN), never the job token.
            + ' --forge-url "$CI_SERVER_HOST=$CI_API_V4_URL" --report flux-fleet-rollout.json'
          : `npx flux-fleet promote "$FLUX_FLEET_DIR" --registry --environment "$FLUX_FLEET_ENVIRONMENT"${p.wave !== undefined ? ' --wave "$FLUX_FLEET_WAVE"' : ''} --revision "sha1:$CI_COMMIT_SHA"`,
      ],
    };
  });
  const pipeline = {
    stages: [...(shards > 1 ? ['synth'] : []), 'release', ...(promotions.length > 0 ? ['promote'] : [])],
    default: { image: options.image ?? `node:${options.nodeVersion ?? '24'}` },
    variables,
    ...jobs,
  };
  const doc = new Document(pipeline, { aliasDuplicateObjects: false });
  doc.commentBefore = GENERATED_HEADER;
  return { path: plan.file ?? '.gitlab-ci.yml', content: doc.toString({ lineWidth: 0, indentSeq: true }) };
}

/** The data the rules and scripts read: one variable per fact, numbered. */
function signerVariables(plan: SignerPlan): Record<string, string> {
  const vars: Record<string, string> = {};
  if (plan.repository !== undefined) vars.FLUX_FLEET_PROJECT = literal(plan.repository);
  for (const s of plan.signers) {
    const n = `FLUX_FLEET_SIGNER_${s.index}`;
    if ('exact' in s.refs) {
      const tag = s.refs.exact.startsWith('refs/tags/');
      vars[`${n}_${tag ? 'TAG' : 'BRANCH'}`] = literal(s.refs.exact.slice(tag ? 'refs/tags/'.length : 'refs/heads/'.length));
    } else if ('prefix' in s.refs) {
      const tag = s.refs.prefix.startsWith('refs/tags/');
      const name = s.refs.prefix.slice(tag ? 'refs/tags/'.length : 'refs/heads/'.length);
      vars[`${n}_${tag ? 'TAG' : 'BRANCH'}_PATTERN`] = literal(`/^${name.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')}/`);
    } else if (s.refs.defaultBranch !== '') {
      vars[`${n}_BRANCH`] = literal(s.refs.defaultBranch);
    }
    vars[`${n}_ENVIRONMENTS`] = literal(s.signer.environments.join(','));
    vars[`${n}_MOVES`] = literal(s.moves.join(','));
    if (s.keyless) {
      vars[`${n}_IDENTITY_PREFIX`] = literal(s.keyless.identityPrefix);
      vars[`${n}_ISSUER`] = literal(s.keyless.issuer);
    }
  }
  return vars;
}

/** The `rules:if` of a signer's runs: only variables, compared (a ref prefix as a regular expression variable). */
function condition(s: PlannedSigner, plan: SignerPlan): string {
  const n = `FLUX_FLEET_SIGNER_${s.index}`;
  let ref: string;
  if ('exact' in s.refs) ref = s.refs.exact.startsWith('refs/tags/') ? `$CI_COMMIT_TAG == $${n}_TAG` : `$CI_COMMIT_BRANCH == $${n}_BRANCH`;
  else if ('prefix' in s.refs) ref = s.refs.prefix.startsWith('refs/tags/') ? `$CI_COMMIT_TAG =~ $${n}_TAG_PATTERN` : `$CI_COMMIT_BRANCH =~ $${n}_BRANCH_PATTERN`;
  else ref = s.refs.defaultBranch !== '' ? `$CI_COMMIT_BRANCH == $${n}_BRANCH` : '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH';
  return plan.repository !== undefined ? `$CI_PROJECT_PATH == $FLUX_FLEET_PROJECT && ${ref}` : ref;
}

/** A value of `variables:` that GitLab takes literally: its `$` doubled, so that it expands no variable. */
function literal(value: string): string {
  return value.replace(/\$/g, '$$$$');
}

interface Logins {
  readonly variables: Record<string, string>;
  readonly idTokens: Record<string, { aud: string }>;
  readonly script: string[];
}

/** The script lines that write each registry's credentials into `$DOCKER_CONFIG/config.json`; hosts are variables. */
function loginOf(registries: readonly RegistryLogin[]): Logins {
  const variables: Record<string, string> = {};
  const idTokens: Record<string, { aud: string }> = {};
  const script: string[] = [];
  if (registries.length === 0) return { variables, idTokens, script };
  variables.FLUX_FLEET_LOGIN = LOGIN_SCRIPT;
  const login = (n: number, user: string): string => `node -e "$FLUX_FLEET_LOGIN" "$FLUX_FLEET_REGISTRY_${n}" ${user}`;
  const numbered = registries.map((r, i) => ({ ...r, n: i + 1 }));
  for (const r of numbered) {
    variables[`FLUX_FLEET_REGISTRY_${r.n}`] = literal(r.host);
    if (r.region !== undefined) variables[`FLUX_FLEET_REGISTRY_${r.n}_REGION`] = literal(r.region);
  }
  const ecr = numbered.filter((r) => r.kind === 'ecr');
  if (ecr.length > 0) {
    idTokens.AWS_ID_TOKEN = { aud: 'sts.amazonaws.com' };
    variables.AWS_ROLE_ARN = '$FLUX_FLEET_AWS_ROLE_ARN';
    variables.AWS_WEB_IDENTITY_TOKEN_FILE = '$CI_BUILDS_DIR/.flux-fleet-aws-token-$CI_JOB_ID';
    script.push('printf \'%s\' "$AWS_ID_TOKEN" > "$AWS_WEB_IDENTITY_TOKEN_FILE"');
    for (const r of ecr) script.push(`aws ecr get-login-password --region "$FLUX_FLEET_REGISTRY_${r.n}_REGION" | ${login(r.n, 'AWS')}`);
  }
  const acr = numbered.filter((r) => r.kind === 'acr');
  if (acr.length > 0) {
    idTokens.AZURE_ID_TOKEN = { aud: 'api://AzureADTokenExchange' };
    script.push('az login --service-principal --username "$AZURE_CLIENT_ID" --tenant "$AZURE_TENANT_ID" --federated-token "$AZURE_ID_TOKEN" --output none');
    for (const r of acr) {
      script.push(`az acr login --name "\${FLUX_FLEET_REGISTRY_${r.n}%.azurecr.io}" --expose-token --output tsv --query accessToken | ${login(r.n, '00000000-0000-0000-0000-000000000000')}`);
    }
  }
  const gar = numbered.filter((r) => r.kind === 'gar');
  if (gar.length > 0) {
    script.push('gcloud auth login --cred-file="$GOOGLE_APPLICATION_CREDENTIALS" --quiet');
    for (const r of gar) script.push(`gcloud auth print-access-token | ${login(r.n, 'oauth2accesstoken')}`);
  }
  for (const r of numbered.filter((x) => x.kind === 'ghcr')) script.push(`printf '%s' "$GHCR_TOKEN" | ${login(r.n, '"$GHCR_USERNAME"')}`);
  for (const r of numbered.filter((x) => x.kind === 'generic')) {
    // The project's own GitLab registry takes the job's token; any other, the credentials given for it.
    script.push(`if [ "$FLUX_FLEET_REGISTRY_${r.n}" = "$CI_REGISTRY" ]; then printf '%s' "$CI_REGISTRY_PASSWORD" | ${login(r.n, '"$CI_REGISTRY_USER"')}; `
      + `else printf '%s' "$REGISTRY_PASSWORD" | ${login(r.n, '"$REGISTRY_USERNAME"')}; fi`);
  }
  return { variables, idTokens, script };
}
