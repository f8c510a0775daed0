import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';

const exec = promisify(execFile);
const REPO = join(import.meta.dirname, '..', '..');

/** What a run of generated CI reaches: the registries, the Sigstore instance and the trusted root standing for the real ones. */
export interface CiSandbox {
  /** `--host-alias` of the registry commands: `<host>=<address>,...`. */
  readonly hostAliases: string;
  /** A trusted_root.json standing for the public Sigstore instance's. */
  readonly trustedRoot: string;
  /** The Fulcio and Rekor that issue keyless signatures (a FakeSigstore's URL). */
  readonly sigstoreUrl: string;
  /** The folder the jobs run in: the checkout, with the synthesized tree in it. */
  readonly workdir: string;
}

/** One step (GitHub) or job script (GitLab) run, or skipped. */
export interface RanStep {
  readonly name: string;
  readonly ran: boolean;
  readonly code?: number;
  readonly output?: string;
  /** The flux-fleet commands it ran, as the pipeline wrote them (`push ...`). */
  readonly commands: readonly string[];
}

/**
 * Runs the shell of generated CI jobs on this machine, in order, as the CI system would: every `run:` step (or script)
 * in bash, with the job's variables and the CI system's own (the ref, the commit, the repository), `if:` and `rules:`
 * evaluated, `${{ }}` expressions of `env:` resolved. `npx flux-fleet` runs this checkout's command line, told where
 * the test registries and Sigstore instance are (host aliases, trusted root, an identity token for the certificate
 * identity it signs as, a short lease settle time); `npm`, `aws` and `docker` are no-ops (the tree is synthesized
 * already, and the test registries need no login). Actions (`uses:`) are not run.
 */
export class CiRunner {
  private readonly bin: string;
  private readonly commandLog: string;

  public constructor(private readonly sandbox: CiSandbox) {
    this.bin = mkdtempSync(join(tmpdir(), 'flux-fleet-ci-bin-'));
    this.commandLog = join(this.bin, 'commands.log');
    const stub = (name: string, body: string) => {
      writeFileSync(join(this.bin, name), `#!/bin/sh\n${body}\n`);
      chmodSync(join(this.bin, name), 0o755);
    };
    stub('npx', `exec "${process.execPath}" "${join(REPO, 'test', 'support', 'ci-npx.mjs')}" "$@"`);
    stub('npm', 'exit 0');
    stub('docker', 'cat > /dev/null; exit 0');
    stub('aws', 'echo test-password');
  }

  public close(): void {
    rmSync(this.bin, { recursive: true, force: true });
  }

  /**
   * Runs job `job` of a GitHub Actions workflow, on `ref` at commit `sha` of `repository`, with `secrets` and the
   * outputs of the jobs it needs. Returns its steps and its outputs.
   */
  public async github(content: string, job: string, run: GithubRun): Promise<GithubJobRun> {
    type Job = { if?: string; env?: Record<string, string>; outputs?: Record<string, string>; steps: Array<Record<string, any>> };
    const workflow = parse(content) as { jobs: Record<string, Job> };
    const j = workflow.jobs[job];
    const stepOutputs: Record<string, Record<string, string>> = {};
    const ctx = { secrets: run.secrets ?? {}, needs: run.needs ?? {}, steps: stepOutputs, env: {} as Record<string, string>, token: run.token ?? '' };
    if (j.if !== undefined && !evaluate(j.if, ctx)) return { steps: [], outputs: {}, skipped: true };
    const jobEnv = resolveAll(j.env ?? {}, ctx);
    ctx.env = jobEnv;
    const steps: RanStep[] = [];
    for (const step of j.steps) {
      const name = String(step.name ?? step.uses);
      if (step.if !== undefined && !evaluate(step.if, ctx)) {
        steps.push({ name, ran: false, commands: [] });
        continue;
      }
      if (step.run === undefined) {
        steps.push({ name, ran: false, commands: [] });
        continue;
      }
      const outputFile = join(this.bin, 'github-output');
      writeFileSync(outputFile, '');
      const env = {
        ...jobEnv,
        ...resolveAll(step.env ?? {}, ctx),
        GITHUB_ACTIONS: 'true',
        GITHUB_REF: run.ref,
        GITHUB_REF_NAME: run.ref.replace(/^refs\/(heads|tags)\//, ''),
        GITHUB_SHA: run.sha,
        GITHUB_REPOSITORY: run.repository,
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_API_URL: 'https://api.github.com',
        GITHUB_RUN_ID: '1',
        GITHUB_OUTPUT: outputFile,
        ...(run.oidcToken !== undefined ? { FLUX_FLEET_TEST_OIDC_TOKEN: run.oidcToken } : {}),
        ...run.env,
      };
      const ran = await this.shell(resolve(String(step.run), ctx), env);
      steps.push({ name, ...ran });
      if (step.id) stepOutputs[String(step.id)] = Object.fromEntries(readFileSync(outputFile, 'utf8').split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
      if (ran.code !== 0) break;
    }
    return { steps, outputs: resolveAll(j.outputs ?? {}, ctx), skipped: false };
  }

  /**
   * Runs job `job` of a GitLab CI pipeline, on a branch or a tag at commit `sha` of `project`, with the CI/CD variables
   * `secrets` and an ID token per `id_tokens` entry (`tokens`). Returns its script's run, or that its rules left it out.
   */
  public async gitlab(content: string, job: string, run: GitlabRun): Promise<{ steps: RanStep[]; skipped: boolean; manual: boolean }> {
    const pipeline = parse(content) as Record<string, any> & { variables: Record<string, string> };
    type Job = { variables?: Record<string, string>; rules?: Array<{ if?: string; when?: string }>; script: string[]; id_tokens?: object };
    const j = pipeline[job] as Job;
    const predefined: Record<string, string> = {
      CI_COMMIT_SHA: run.sha,
      CI_PROJECT_PATH: run.project,
      CI_PROJECT_URL: `https://gitlab.com/${run.project}`,
      CI_DEFAULT_BRANCH: run.defaultBranch,
      CI_BUILDS_DIR: this.bin,
      CI_JOB_ID: '1',
      CI_SERVER_HOST: 'gitlab.com',
      CI_API_V4_URL: 'https://gitlab.com/api/v4',
      CI_COMMIT_REF_NAME: run.tag ?? run.branch ?? '',
      GITLAB_CI: 'true',
      ...(run.branch !== undefined ? { CI_COMMIT_BRANCH: run.branch } : {}),
      ...(run.tag !== undefined ? { CI_COMMIT_TAG: run.tag } : {}),
      ...(run.secrets ?? {}),
    };
    const globals = expandAll(pipeline.variables ?? {}, predefined);
    const vars = { ...predefined, ...globals };
    const rule = (j.rules ?? [{}]).find((r) => r.if === undefined || gitlabCondition(r.if, vars));
    if (!rule || rule.when === 'never') return { steps: [], skipped: true, manual: false };
    const jobVars = expandAll(j.variables ?? {}, vars);
    const tokens = Object.fromEntries(Object.keys(j.id_tokens ?? {}).map((k) => [k, run.tokens?.[k] ?? 'unused-token']));
    const ran = await this.shell(j.script.join('\n'), { ...vars, ...jobVars, ...tokens, ...run.env });
    return { steps: [{ name: job, ...ran }], skipped: false, manual: rule.when === 'manual' };
  }

  private async shell(script: string, env: Record<string, string>): Promise<{ ran: true; code: number; output: string; commands: string[] }> {
    writeFileSync(this.commandLog, '');
    mkdirSync(this.sandbox.workdir, { recursive: true });
    const full = {
      PATH: `${this.bin}:${process.env.PATH}`,
      HOME: process.env.HOME ?? '/tmp',
      ...env,
      FLUX_FLEET_TEST_ALIASES: this.sandbox.hostAliases,
      FLUX_FLEET_TEST_ROOT: this.sandbox.trustedRoot,
      FLUX_FLEET_TEST_SIGSTORE: this.sandbox.sigstoreUrl,
      FLUX_FLEET_TEST_LOG: this.commandLog,
    };
    let code = 0;
    let output = '';
    try {
      const r = await exec('bash', ['-e', '-c', script], { cwd: this.sandbox.workdir, env: full, maxBuffer: 64 * 1024 * 1024, timeout: 300_000 });
      output = r.stdout + r.stderr;
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string };
      code = typeof err.code === 'number' ? err.code : 1;
      output = `${err.stdout ?? ''}${err.stderr ?? ''}`;
    }
    const commands = readFileSync(this.commandLog, 'utf8').split('\n').filter(Boolean);
    return { ran: true, code, output, commands };
  }
}

/** What a GitHub job's run did: its steps and outputs, or that its `if:` left it out. */
export interface GithubJobRun {
  readonly steps: RanStep[];
  readonly outputs: Record<string, string>;
  readonly skipped: boolean;
}

/** A GitHub Actions run: its ref, commit, repository, secrets, the outputs of the jobs it needs, and its OIDC token. */
export interface GithubRun {
  readonly ref: string;
  readonly sha: string;
  readonly repository: string;
  readonly secrets?: Record<string, string>;
  readonly needs?: Record<string, Record<string, string>>;
  /** The job's OIDC token (for `id-token: write`), as GitHub would issue it for the run's workflow and ref. @default - none */
  readonly oidcToken?: string;
  /** The job's own token, `github.token`. @default - empty */
  readonly token?: string;
  /** Variables of the runner's environment, over GitHub's own (e.g. GITHUB_API_URL of a loopback forge). @default - none */
  readonly env?: Record<string, string>;
}

/** A GitLab CI pipeline: a branch or a tag, its commit, project, default branch, CI/CD variables and ID tokens. */
export interface GitlabRun {
  readonly branch?: string;
  readonly tag?: string;
  readonly sha: string;
  readonly project: string;
  readonly defaultBranch: string;
  readonly secrets?: Record<string, string>;
  /** The `id_tokens` GitLab would issue the job, by name. @default - placeholders */
  readonly tokens?: Record<string, string>;
  /** Variables of the runner's environment, over GitLab's own (e.g. CI_API_V4_URL of a loopback forge). @default - none */
  readonly env?: Record<string, string>;
}

interface Context {
  readonly token?: string;
  readonly secrets: Record<string, string>;
  readonly needs: Record<string, Record<string, string>>;
  readonly steps: Record<string, Record<string, string>>;
  env: Record<string, string>;
}

/**
 * A `${{ ... }}` expression of the forms the generator writes: a context value, `github.token`, the string literal
 * `'${{'`, or `a || b` (the first that is not empty).
 */
function value(expression: string, ctx: Context): string {
  const e = expression.trim();
  if (e.includes(' || ')) return e.split(' || ').map((part) => value(part, ctx)).find((v) => v !== '') ?? '';
  if (e === "'${{'") return '${{';
  if (e === 'github.token') return ctx.token ?? '';
  const m = /^(secrets|env|vars)\.(\w+)$/.exec(e) ?? /^(steps|needs)\.([\w-]+)\.outputs\.(\w+)$/.exec(e);
  if (!m) throw new Error(`the test runner cannot evaluate \${{ ${e} }}`);
  if (m[1] === 'secrets') return ctx.secrets[m[2]] ?? '';
  if (m[1] === 'env') return ctx.env[m[2]] ?? '';
  if (m[1] === 'vars') return '';
  return (m[1] === 'steps' ? ctx.steps : ctx.needs)[m[2]]?.[m[3]] ?? '';
}

function resolve(text: string, ctx: Context): string {
  return text.replace(/\$\{\{(.*?)\}\}/g, (_, e: string) => value(e, ctx));
}

function resolveAll(values: Record<string, string>, ctx: Context): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, resolve(String(v), ctx)]));
}

/** An `if:` of the forms the generator writes: `<context value> == '<literal>'` or `!= '<literal>'`. */
function evaluate(condition: string, ctx: Context): boolean {
  const m = /^(.+?) (==|!=) '(.*)'$/.exec(condition.trim());
  if (!m) throw new Error(`the test runner cannot evaluate if: ${condition}`);
  const left = value(m[1], ctx);
  return m[2] === '==' ? left === m[3] : left !== m[3];
}

/** GitLab's expansion of `variables:` values: `$NAME` and `${NAME}` from those known, `$$` a literal `$`. */
function expandAll(values: Record<string, string>, known: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) {
    out[k] = String(v).replace(/\$\$|\$\{(\w+)\}|\$(\w+)/g, (all, braced: string | undefined, bare: string | undefined) => {
      if (all === '$$') return '$';
      const name = braced ?? bare!;
      return known[name] ?? out[name] ?? '';
    });
  }
  return out;
}

/** A `rules:if` of the forms the generator writes: `$A == $B`, `$A =~ $B` (B holding `/regex/`), joined with `&&`. */
function gitlabCondition(condition: string, vars: Record<string, string>): boolean {
  return condition.split('&&').every((part) => {
    const m = /^\s*\$(\w+)\s*(==|=~)\s*\$(\w+)\s*$/.exec(part);
    if (!m) throw new Error(`the test runner cannot evaluate rules:if ${condition}`);
    const left = vars[m[1]];
    const right = vars[m[3]];
    if (left === undefined || right === undefined) return false;
    if (m[2] === '==') return left === right;
    const re = /^\/(.*)\/$/.exec(right);
    return re !== null && new RegExp(re[1]).test(left);
  });
}
