import { stringify } from 'yaml';
import { DeliveryError } from './artifacts.js';
import type { KeylessSigningIdentity, SigningIdentity } from '../fleet/signing.js';
import { describeSigner, type ReleaseSigner } from './signing/workflow-steps.js';
import { githubEnvironmentOf, type GeneratedWorkflow, type RegistryLogin, type ReleaseWorkflowSpec } from './workflow.js';

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
  /** The Fulcio instance that issues the pipeline's certificates. @default - the public Sigstore instance */
  readonly fulcioUrl?: string;
  /** The Rekor instance that logs the signatures. @default - the public Sigstore instance */
  readonly rekorUrl?: string;
}

/** A GitLab CI signer with the rules expression of the refs it signs on. */
interface RefSigner {
  readonly signer: ReleaseSigner;
  readonly condition: string;
  readonly variables: Record<string, string>;
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
 * A GitLab CI pipeline (`.gitlab-ci.yml`, or the identity's `configPath`) for the safe path from a push on the fleet
 * project to production: the same path as {@link githubReleaseWorkflow}.
 *
 * Job `release` runs on the refs the signers name (each rule of the job is one signer: `main` for staging, release
 * tags for production, say) in the signers' project, with the `SIGSTORE_ID_TOKEN` ID token (audience `sigstore`). It
 * synthesizes and validates the tree, logs in to each registry, mirrors, pushes the components and every cluster's
 * candidate holding every tag (`push --hold-tags --digests-file`), signs every pushed digest with `flux-fleet sign`
 * keyless as the signer of the pipeline's ref (or with the `COSIGN_PRIVATE_KEY` and `COSIGN_PASSWORD` CI/CD variables
 * for a key identity, on the default branch), then pushes again to move the tags of the environments that deploy on
 * push, only on the refs whose signer those environments verify, and runs `verify-release` for the commit.
 *
 * Then one manual job per production wave, each `needs:` the one before, only on the refs whose signer production
 * verifies, in the GitLab environment `<environment>-wave-<n>` (protect those environments with required approvals):
 * it runs `verify-release` and `promote --environment <env> --wave <n> --revision <commit>`.
 *
 * Registry credentials, as CI/CD variables: ECR assumes the role `FLUX_FLEET_AWS_ROLE_ARN` with the pipeline's ID
 * token (audience `sts.amazonaws.com`); ACR logs in as the federated service principal `AZURE_CLIENT_ID` of
 * `AZURE_TENANT_ID` (ID token audience `api://AzureADTokenExchange`); Artifact Registry uses the credential file
 * `GOOGLE_APPLICATION_CREDENTIALS` (a File variable); GHCR `GHCR_USERNAME` and `GHCR_TOKEN`; the project's GitLab
 * registry the job's own `CI_REGISTRY_USER` and `CI_REGISTRY_PASSWORD`; any other registry `REGISTRY_USERNAME` and
 * `REGISTRY_PASSWORD`. They reach only the registry they belong to.
 *
 * Strings from the fleet (the folder, the signer, extra arguments, registry hosts) reach script lines only through
 * `variables:` (with `$` escaped, so that GitLab expands nothing in them), quoted, so none can inject a command.
 */
export function gitlabReleasePipeline(spec: ReleaseWorkflowSpec, options: GitlabPipelineOptions = {}): GeneratedWorkflow {
  const signers = spec.signers ?? [{ identity: spec.identity, environments: [], clusters: [] }];
  const keyless = signers.filter((s) => s.identity.keyless);
  let path = '.gitlab-ci.yml';
  let project: string | undefined;
  let refSigners: RefSigner[];
  if (keyless.length === 0 && signers.length === 1) {
    const id = signers[0].identity as Exclude<SigningIdentity, KeylessSigningIdentity>;
    if (id.tool !== 'cosign') throw new DeliveryError('the fleet signs with notation; the generated pipeline signs with cosign: write the notation signing job yourself');
    refSigners = [{ signer: signers[0], condition: '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH', variables: {} }];
  } else {
    const problems: string[] = [];
    for (const s of signers) {
      const id = s.identity;
      if (!id.keyless || id.ci?.system !== 'gitlab-ci') {
        problems.push(`the signer of ${whose(s)} is ${describeSigner(id)}, which a GitLab CI pipeline cannot sign as; declare Signing.gitlabCi({ project }) for every environment, or generate the pipeline of that signer (flux-fleet workflow without --gitlab for GitHub Actions)`);
      } else if (id.trustedRootSecretName !== undefined && (options.fulcioUrl === undefined || options.rekorUrl === undefined)) {
        problems.push(`the signer of ${whose(s)} is verified with a private Sigstore instance (trustedRootSecretRef ${id.trustedRootSecretName}), and the pipeline would sign with the public one; give the instance's Fulcio and Rekor (--fulcio-url and --rekor-url, or the options fulcioUrl and rekorUrl)`);
      }
    }
    if (problems.length > 0) throw new DeliveryError(problems.join('\n'));
    const pipelines = new Set(signers.map((s) => pipelineOf(s.identity as KeylessSigningIdentity)));
    if (pipelines.size > 1) {
      throw new DeliveryError(`the signers name different pipelines, and one pipeline signs as one: ${signers.map((s) => `${describeSigner(s.identity)} (${whose(s)})`).join('; ')}; declare the same project, host and configPath for every environment`);
    }
    const ci = gitlabCi(signers[0].identity);
    path = ci.configPath;
    project = ci.project;
    refSigners = signers.map((s) => {
      const id = s.identity as KeylessSigningIdentity;
      const ref = gitlabCi(id).ref;
      return {
        signer: s,
        condition: refCondition(ref),
        variables: {
          // The certificate identity this run gets, so that a re-run finds its bundle and signs nothing twice.
          FLUX_FLEET_CERT_IDENTITY: ref.endsWith('*')
            ? `${literal(`https://${ci.host}/${ci.project}//${ci.configPath}@`)}${ref.startsWith('refs/tags/') ? 'refs/tags/$CI_COMMIT_TAG' : 'refs/heads/$CI_COMMIT_BRANCH'}`
            : literal(id.subject),
          FLUX_FLEET_CERT_ISSUER: literal(`https://${ci.host}`),
        },
      };
    });
  }

  const outdir = options.outdir ?? 'dist';
  const promoted = new Set((spec.promotions ?? []).map((p) => p.environment));
  const deploys = (s: ReleaseSigner): boolean => s.environments.length === 0 || s.environments.some((e) => !promoted.has(e));
  const guard = (condition: string): string => (project !== undefined ? `$CI_PROJECT_PATH == ${ruleString(project)} && ${condition}` : condition);
  const logins = loginOf(spec.registries);
  const variables: Record<string, string> = {
    FLUX_FLEET_DIR: literal(outdir),
    DOCKER_CONFIG: '$CI_BUILDS_DIR/.flux-fleet-docker-$CI_JOB_ID',
    ...(logins.variables),
    ...(options.pushArguments ? { FLUX_FLEET_PUSH_ARGS: literal(options.pushArguments) } : {}),
  };
  const pushArgs = options.pushArguments ? ' $FLUX_FLEET_PUSH_ARGS' : '';
  const push = 'npx flux-fleet push "$FLUX_FLEET_DIR" --registry --source "$CI_PROJECT_URL" --revision "$CI_COMMIT_REF_NAME@sha1:$CI_COMMIT_SHA"';
  const verify = 'npx flux-fleet verify-release "$FLUX_FLEET_DIR" --revision "$CI_COMMIT_SHA"';
  const keyed = !signers[0].identity.keyless;
  const legacy = keyed && !signers[0].identity.keyless && signers[0].identity.legacySig ? ' --legacy-sig' : '';
  const sigstore = [
    ...(options.fulcioUrl ? ['--fulcio-url "$FLUX_FLEET_FULCIO_URL"'] : []),
    ...(options.rekorUrl ? ['--rekor-url "$FLUX_FLEET_REKOR_URL"'] : []),
  ].map((x) => ` ${x}`).join('');
  const release = {
    stage: 'release',
    resource_group: 'flux-fleet-push',
    ...(keyed ? {} : { id_tokens: { SIGSTORE_ID_TOKEN: { aud: 'sigstore' }, ...logins.idTokens } }),
    ...(keyed && Object.keys(logins.idTokens).length > 0 ? { id_tokens: logins.idTokens } : {}),
    variables: {
      FLUX_FLEET_DIGESTS: '$CI_BUILDS_DIR/flux-fleet-digests-$CI_JOB_ID.txt',
      ...(options.fulcioUrl ? { FLUX_FLEET_FULCIO_URL: literal(options.fulcioUrl) } : {}),
      ...(options.rekorUrl ? { FLUX_FLEET_REKOR_URL: literal(options.rekorUrl) } : {}),
    },
    rules: refSigners.map((r) => ({
      if: guard(r.condition),
      variables: { ...r.variables, FLUX_FLEET_MOVE_TAGS: deploys(r.signer) ? 'true' : 'false' },
    })),
    script: [
      'npm ci',
      options.synthCommand ?? 'npm run synth',
      'npx flux-fleet validate "$FLUX_FLEET_DIR"',
      ...logins.script,
      'npx flux-fleet mirror "$FLUX_FLEET_DIR"',
      `${push} --digests-file "$FLUX_FLEET_DIGESTS" --hold-tags${pushArgs}`,
      keyed
        ? `xargs -r npx flux-fleet sign --key env://COSIGN_PRIVATE_KEY${legacy} < "$FLUX_FLEET_DIGESTS"`
        : `xargs -r npx flux-fleet sign --certificate-identity "$FLUX_FLEET_CERT_IDENTITY" --certificate-oidc-issuer "$FLUX_FLEET_CERT_ISSUER"${sigstore} < "$FLUX_FLEET_DIGESTS"`,
      // Only now that everything pushed is signed do the tags of the environments that deploy on push move, and only
      // on the refs whose signer they verify. The push uploads nothing the first one did.
      `if [ "$FLUX_FLEET_MOVE_TAGS" = true ]; then ${push}${pushArgs}; fi`,
      verify,
    ],
  };
  const jobs: Record<string, unknown> = { release };
  let previous = 'release';
  let previousOn = refSigners;
  for (const p of spec.promotions ?? []) {
    const name = `promote-${githubEnvironmentOf(p)}`.toLowerCase().replace(/[^a-z0-9_-]/g, '-');
    const on = refSigners.filter((r) => r.signer.environments.length === 0 || r.signer.environments.includes(p.environment));
    // A job runs after the one before whenever both are in the pipeline; the one before may be left out on a ref whose
    // signer only this environment verifies.
    const sameRefs = on.every((r) => previousOn.includes(r));
    jobs[name] = {
      stage: 'promote',
      needs: [sameRefs ? previous : { job: previous, optional: true }],
      resource_group: `flux-fleet-${name}`,
      environment: { name: githubEnvironmentOf(p), deployment_tier: 'production' },
      ...(Object.keys(logins.idTokens).length > 0 ? { id_tokens: logins.idTokens } : {}),
      variables: { FLUX_FLEET_ENVIRONMENT: literal(p.environment) },
      rules: on.length === 0 ? [{ when: 'never' }] : on.map((r) => ({ if: guard(r.condition), when: 'manual' })),
      script: [
        'npm ci',
        options.synthCommand ?? 'npm run synth',
        ...logins.script,
        verify,
        `npx flux-fleet promote "$FLUX_FLEET_DIR" --registry --environment "$FLUX_FLEET_ENVIRONMENT"${p.wave !== undefined ? ` --wave ${p.wave}` : ''} --revision "$CI_COMMIT_SHA"`,
      ],
    };
    previous = name;
    previousOn = on;
  }
  const pipeline = {
    stages: ['release', ...(spec.promotions && spec.promotions.length > 0 ? ['promote'] : [])],
    default: { image: options.image ?? `node:${options.nodeVersion ?? '24'}` },
    variables,
    ...jobs,
  };
  const signer = signers.length > 1
    ? `# Signs what each pipeline pushes as the signer of its ref: ${signers.map((s) => `${s.clusters.join(', ')} as ${describeSigner(s.identity)}`).join('; ').replace(/[\r\n]/g, ' ')}.\n`
    : `# Signs every pushed artifact as ${describeSigner(signers[0].identity).replace(/[\r\n]/g, ' ')}: the signer every cluster verifies.\n`;
  const header = '# Generated by flux-fleet. Do not edit: change the fleet program and generate again.\n'
    + signer
    + (spec.promotions && spec.promotions.length > 0
      ? `# Production moves only through the manual promote jobs; protect each of the GitLab environments ${spec.promotions.map(githubEnvironmentOf).join(', ')} with required approvals.\n`
      : '');
  return { path, content: header + stringify(pipeline, { lineWidth: 0, indentSeq: true, aliasDuplicateObjects: false }) };
}

/** The clusters (or environments) a signer signs for, for messages. */
function whose(s: ReleaseSigner): string {
  return s.environments.length > 0 ? s.environments.join(', ') : s.clusters.length > 0 ? s.clusters.join(', ') : 'the fleet';
}

function gitlabCi(id: SigningIdentity): Extract<NonNullable<KeylessSigningIdentity['ci']>, { system: 'gitlab-ci' }> {
  if (!id.keyless || id.ci?.system !== 'gitlab-ci') throw new DeliveryError(`${describeSigner(id)} is not a GitLab CI pipeline`);
  return id.ci;
}

function pipelineOf(id: KeylessSigningIdentity): string {
  const ci = gitlabCi(id);
  return `${ci.host}/${ci.project}//${ci.configPath}`;
}

/** The GitLab `rules:if` expression of a ref: the branch or tag, a `*` ref as a prefix. */
function refCondition(ref: string): string {
  const tag = ref.startsWith('refs/tags/');
  const variable = tag ? '$CI_COMMIT_TAG' : '$CI_COMMIT_BRANCH';
  const name = ref.slice(tag ? 'refs/tags/'.length : 'refs/heads/'.length);
  return name.endsWith('*')
    ? `${variable} =~ /^${name.slice(0, -1).replace(/[\\^$.*+?()[\]{}|/"]/g, '\\$&')}/`
    : `${variable} == ${ruleString(name)}`;
}

/** A string literal of a GitLab rules expression; refuses what it cannot quote. */
function ruleString(value: string): string {
  if (/["\\$]/.test(value)) {
    throw new DeliveryError(`the branch, tag or project ${JSON.stringify(value)} holds a quote, backslash or $, which a GitLab rules expression cannot compare; use a name without them in the signing identity`);
  }
  return `"${value}"`;
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

/** The script lines that write each registry's credentials into `$DOCKER_CONFIG/config.json`. */
function loginOf(registries: readonly RegistryLogin[]): Logins {
  const variables: Record<string, string> = {};
  const idTokens: Record<string, { aud: string }> = {};
  const script: string[] = [];
  if (registries.length === 0) return { variables, idTokens, script };
  variables.FLUX_FLEET_LOGIN = LOGIN_SCRIPT;
  const login = (user: string): string => `node -e "$FLUX_FLEET_LOGIN" "$FLUX_FLEET_REGISTRY" ${user}`;
  const ecr = registries.filter((r) => r.kind === 'ecr');
  if (ecr.length > 0) {
    idTokens.AWS_ID_TOKEN = { aud: 'sts.amazonaws.com' };
    variables.AWS_ROLE_ARN = '$FLUX_FLEET_AWS_ROLE_ARN';
    variables.AWS_WEB_IDENTITY_TOKEN_FILE = '$CI_BUILDS_DIR/.flux-fleet-aws-token-$CI_JOB_ID';
    script.push('printf \'%s\' "$AWS_ID_TOKEN" > "$AWS_WEB_IDENTITY_TOKEN_FILE"');
    for (const r of ecr) script.push(`FLUX_FLEET_REGISTRY=${r.host}; aws ecr get-login-password --region ${r.region} | ${login('AWS')}`);
  }
  const acr = registries.filter((r) => r.kind === 'acr');
  if (acr.length > 0) {
    idTokens.AZURE_ID_TOKEN = { aud: 'api://AzureADTokenExchange' };
    script.push('az login --service-principal --username "$AZURE_CLIENT_ID" --tenant "$AZURE_TENANT_ID" --federated-token "$AZURE_ID_TOKEN" --output none');
    for (const r of acr) {
      script.push(`FLUX_FLEET_REGISTRY=${r.host}; az acr login --name ${r.host.slice(0, -'.azurecr.io'.length)} --expose-token --output tsv --query accessToken | ${login('00000000-0000-0000-0000-000000000000')}`);
    }
  }
  const gar = registries.filter((r) => r.kind === 'gar');
  if (gar.length > 0) {
    script.push('gcloud auth login --cred-file="$GOOGLE_APPLICATION_CREDENTIALS" --quiet');
    for (const r of gar) script.push(`FLUX_FLEET_REGISTRY=${r.host}; gcloud auth print-access-token | ${login('oauth2accesstoken')}`);
  }
  for (const r of registries.filter((x) => x.kind === 'ghcr')) {
    script.push(`FLUX_FLEET_REGISTRY=${r.host}; printf '%s' "$GHCR_TOKEN" | ${login('"$GHCR_USERNAME"')}`);
  }
  registries.filter((x) => x.kind === 'generic').forEach((r, i) => {
    const variable = `FLUX_FLEET_REGISTRY_${i + 1}`;
    variables[variable] = literal(r.host);
    // The project's own GitLab registry takes the job's token; any other, the credentials given for it.
    script.push(`FLUX_FLEET_REGISTRY="$${variable}"; if [ "$FLUX_FLEET_REGISTRY" = "$CI_REGISTRY" ]; then printf '%s' "$CI_REGISTRY_PASSWORD" | ${login('"$CI_REGISTRY_USER"')}; else printf '%s' "$REGISTRY_PASSWORD" | ${login('"$REGISTRY_USERNAME"')}; fi`);
  });
  return { variables, idTokens, script };
}
