import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pushRelease, type PushEvent, type PushedTarget, type ReleasePushReport } from '../../../delivery/release/push.js';
import { resolveRevision } from '../../../delivery/release/revision.js';
import type { ArtifactMetadata } from '../../../flux/artifact/artifact.js';
import { formatSize, shortDigest } from '../../../flux/artifact/digest.js';
import { printable } from '../../../flux/core/terminal-text.js';
import type { ReleaseManifest } from '../../../output/release-manifest.js';
import { EXIT, parseArgs, rawOutput, UsageError, type ParsedArgs, CliIo, Command } from '../args.js';
import {
  commandLineValue, destinationsOf, leaseOptionsOf, LEASE_OPTIONS, LEASE_OPTIONS_HELP, listOption, numberOption, REGISTRY_OPTIONS,
  REGISTRY_OPTIONS_HELP, releaseOf, stringOption, verificationMaterialOf, VERIFICATION_OPTIONS, VERIFICATION_OPTIONS_HELP, formatOption,
} from '../options.js';
import { printSigned, pushSigningOf, SIGN_ON_PUSH_HELP, SIGN_ON_PUSH_OPTIONS } from '../signer-options.js';

const PUSH_USAGE = `Usage: flux-fleet push <dir> [--registry | --layout <folder>] [options]

Pushes the release the synthesized tree in <dir> describes (its release.json), to the registry of every region that
uses each piece, in this order:
  1. checks that no cluster's candidate rev-<revision> already points at another digest (a candidate never changes:
     refused, naming both digests, unless --replace-candidate), and that every component folder still packs to the
     digest in release.json (the clusters pin that digest);
  2. each component artifact (artifacts/<name>/) under its content tag, content-<hex of its digest>;
  3. each cluster's config (clusters/<cluster>/) under the candidate tag rev-<revision>;
  4. with --sign, signs what it pushed, each artifact only for a signer that a cluster pulling it accepts;
  5. only when all of that succeeded, for the environments that deploy on push (staging), under each environment's
     lease: refuses a revision the environment moved past (unless --allow-older), checks that every cluster would
     accept its candidate (it verifies with the cluster's identity, and every source it pins resolves in its region
     and verifies), and moves the tags. Production's tags never move on push: "flux-fleet promote" moves them.
Unchanged blobs are not sent again; tags are set last, so a failed push leaves no tag pointing at missing content.

Options:
  --registry                      Push to the registries (default: an OCI image layout folder, where no signature
                                  is made or checked: a layout holds none)
  --layout <folder>               The OCI image layout folder (default: oci-layout); one layout per repository,
                                  at <folder>/<host>/<repository>
  --revision <rev>                The revision: a commit, or <branch>@sha1:<commit> (default: $GITHUB_SHA on
                                  $GITHUB_REF_NAME, else "git rev-parse HEAD" where <dir> is)
  --source <url>                  The source annotation (default: $GITHUB_SERVER_URL/$GITHUB_REPOSITORY in GitHub Actions)
  --created <time>                The created annotation of the clusters' configs, RFC 3339 (default: $SOURCE_DATE_EPOCH,
                                  else 1970-01-01T00:00:00Z, so that the same tree gives the same digest)
  --dry-run                       Pack and check everything, print what would be pushed and which tags would move
  --hold-tags                     Push the components and candidates, but move no tag, not even staging's (for a run
                                  whose signer staging does not verify, or to restore a missing candidate)
  --environment <env>[,...]       Move the tags of these environments only (each deploying on push), holding the
                                  others: for a run whose signer only they verify
  --replace-candidate             Replace candidates rev-<revision> that point at another digest (promotion then
                                  ships the new ones): only when that is what you mean
  --allow-older                   Move staging's tags even to a revision older than the one they hold (a rollback)
  --concurrency <n>               Artifacts pushed at once (default: 4)
  --digests-file <file>           Write <host>/<repository>@<digest> of each pushed artifact, a line each
  --progress auto|tty|plain       A live display on a terminal, or a line per artifact (default: auto; plain in CI)
  --format text|json              How to print the result (default: text)
${SIGN_ON_PUSH_HELP}
${LEASE_OPTIONS_HELP}
${VERIFICATION_OPTIONS_HELP}
${REGISTRY_OPTIONS_HELP}
  -h, --help                      Show this help

Exit codes: 0 all pushed (and the tags moved), 1 some push failed or was refused, 2 usage error.
`;

/** `flux-fleet push <dir>`: packs and pushes every cluster's artifact. */
export const pushCommand: Command = {
  summary: 'push <dir>        Push a release: component artifacts, then each cluster\'s config as a candidate;\n                    moves the tags of environments that deploy on push (never production\'s)',
  run: push,
};

async function push(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, {
    ...REGISTRY_OPTIONS,
    'help': {},
    'registry': {},
    'layout': { value: true },
    'source': { value: true },
    'revision': { value: true },
    'created': { value: true },
    'concurrency': { value: true },
    'digests-file': { value: true },
    'progress': { value: true },
    'format': { value: true },
    'dry-run': {},
    'hold-tags': {},
    'environment': { value: true },
    'replace-candidate': {},
    'allow-older': {},
    ...SIGN_ON_PUSH_OPTIONS,
    ...LEASE_OPTIONS,
    ...VERIFICATION_OPTIONS,
  });
  if (args.options.has('help')) {
    io.stdout.write(PUSH_USAGE);
    return EXIT.ok;
  }
  return pushReleaseRun(args, io);
}

/** The annotations: flags first, then GitHub Actions' environment, then SOURCE_DATE_EPOCH for the time. */
function metadataOf(args: ParsedArgs): ArtifactMetadata {
  const env = process.env;
  const source = stringOption(args, 'source') ?? (env.GITHUB_ACTIONS === 'true' && env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}` : undefined);
  const revision = stringOption(args, 'revision') ?? (env.GITHUB_ACTIONS === 'true' && env.GITHUB_REF_NAME && env.GITHUB_SHA ? `${env.GITHUB_REF_NAME}@sha1:${env.GITHUB_SHA}` : undefined);
  let created = stringOption(args, 'created');
  if (created === undefined && env.SOURCE_DATE_EPOCH && /^\d+$/.test(env.SOURCE_DATE_EPOCH)) {
    created = new Date(Number(env.SOURCE_DATE_EPOCH) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  return {
    ...(created !== undefined ? { created } : {}),
    ...(source !== undefined ? { source } : {}),
    ...(revision !== undefined ? { revision } : {}),
  };
}

function blobsText(r: PushedTarget): string {
  const parts = [`${r.uploaded} uploaded`];
  if (r.mounted > 0) parts.push(`${r.mounted} mounted`);
  parts.push(`${r.existing} unchanged`);
  return `blobs: ${parts.join(', ')}`;
}

/** The tag the artifact got, or already had. */
function tagsText(r: PushedTarget): string {
  return r.uploaded + r.mounted > 0 || r.existing < 2 ? `tag ${r.tags.join(', ')}` : `already tagged ${r.tags.join(', ')}`;
}

function plainEvent(e: PushEvent, io: CliIo): void {
  if (e.type === 'done') {
    io.stdout.write(`pushed ${e.artifact} ${e.location} ${e.result.digest} (${blobsText(e.result)}; ${tagsText(e.result)})\n`);
  } else if (e.type === 'failed') {
    io.stderr.write(`failed ${e.artifact} ${e.location}: ${e.error.message}\n`);
  }
}

/** A display that redraws one line per artifact on a terminal. */
class LiveDisplay {
  private readonly lines = new Map<string, string>();
  private drawn = 0;
  private readonly frames = ['-', '\\', '|', '/'];
  private tick = 0;

  public constructor(private readonly io: CliIo) {}

  public update(e: PushEvent): void {
    const key = `${e.artifact} ${e.location}`;
    const name = e.artifact.padEnd(16);
    if (e.type === 'start') this.lines.set(key, `${this.spin()} ${name} ${e.location}  packing`);
    if (e.type === 'blob') this.lines.set(key, `${this.spin()} ${name} ${e.location}  ${e.blob} ${e.outcome} (${formatSize(e.size)})`);
    if (e.type === 'done') this.lines.set(key, `\u2713 ${name} ${e.location}:${e.result.tags.join(',')}  ${shortDigest(e.result.digest)}  ${blobsText(e.result)}; ${tagsText(e.result)}`);
    if (e.type === 'failed') this.lines.set(key, `\u2717 ${name} ${e.location}  ${e.error.message}`);
    this.draw();
  }

  public finish(): void {
    this.draw();
  }

  private spin(): string {
    return this.frames[this.tick++ % this.frames.length];
  }

  private draw(): void {
    let out = this.drawn > 0 ? `\u001b[${this.drawn}A` : '';
    for (const line of this.lines.values()) out += `\r\u001b[2K${printable(line)}\n`;
    this.drawn = this.lines.size;
    rawOutput(this.io.stdout).write(out);
  }
}

/** Warns, on stderr, about annotations that are unknown and how to set them. */
function warnUnknownAnnotations(metadata: ArtifactMetadata, io: CliIo): void {
  if (metadata.source === undefined) {
    io.stderr.write('warning: the source annotation is unknown, so Flux will not show where the artifacts come from; set --source <url> (or GITHUB_SERVER_URL and GITHUB_REPOSITORY, which GitHub Actions sets)\n');
  }
  if (metadata.revision === undefined) {
    io.stderr.write('warning: the revision annotation is unknown, so Flux will not show which commit is deployed; set --revision <branch>@sha1:<commit> (or GITHUB_REF_NAME and GITHUB_SHA, which GitHub Actions sets)\n');
  }
}

/** The release path: reads release.json and pushes components, candidates, then the tags that deploy on push. */
async function pushReleaseRun(args: ParsedArgs, io: CliIo): Promise<number> {
  const format = formatOption(args, ['text', 'json']);
  const progressMode = stringOption(args, 'progress') ?? 'auto';
  if (!['auto', 'tty', 'plain'].includes(progressMode)) throw new UsageError(`--progress ${JSON.stringify(progressMode)} is not a mode; use auto, tty or plain`);
  const concurrency = numberOption(args, 'concurrency', 1) ?? 4;
  const { dir, release } = await releaseOf(args, io, 'push');
  const revision = await commandLineValue('cannot push', () => resolveRevision({ given: stringOption(args, 'revision'), env: process.env, gitDir: dir }));
  const metadata = metadataOf(args);
  if (metadata.source === undefined) warnUnknownAnnotations({ ...metadata, revision: revision.annotation }, io);
  const dryRun = args.options.has('dry-run');
  // The signer is read before anything is pushed, so that a wrong key or password fails before any upload.
  const signing = args.options.has('sign') && !dryRun ? await pushSigningOf(args, io) : undefined;
  const material = await verificationMaterialOf(args, io);
  const destinations = destinationsOf(args, io);
  if (signing && destinations.isLayout) throw new UsageError('--sign needs --registry: an OCI image layout holds no signatures');
  const live = !dryRun && format === 'text' && (progressMode === 'tty' || (progressMode === 'auto' && (io.stdout as { isTTY?: boolean }).isTTY === true && !process.env.CI));
  const display = live ? new LiveDisplay(io) : undefined;
  let report: ReleasePushReport;
  try {
    report = await pushRelease(dir, release, {
      destinations,
      revision,
      ...(metadata.source !== undefined ? { source: metadata.source } : {}),
      ...(metadata.created !== undefined ? { created: metadata.created } : {}),
      concurrency,
      dryRun,
      holdTags: args.options.has('hold-tags'),
      ...(listOption(args, 'environment') !== undefined ? { environments: listOption(args, 'environment') } : {}),
      replaceCandidate: args.options.has('replace-candidate'),
      allowOlder: args.options.has('allow-older'),
      // With --sign, every pushed digest is signed in every region before any tag moves: no tag points at an
      // artifact its clusters would refuse.
      ...(signing ? { signing } : {}),
      material,
      leaseOptions: leaseOptionsOf(args),
      dirName: args.positionals[0],
      onEvent: (e) => {
        if (display) display.update(e);
        else if (format === 'text') plainEvent(e, io);
      },
    });
  } finally {
    destinations.close();
    display?.finish();
  }
  for (const r of report.replaced) io.stderr.write(`WARNING: candidate replaced: ${r}; promotion of this revision now ships the new digest\n`);
  if (signing) printSigned(report.signed, io, signing.options.legacySig === true);
  for (const u of report.unsigned) io.stderr.write(`not signed by this signer (no cluster pulling it accepts it): ${u}\n`);
  const digestsFile = stringOption(args, 'digests-file');
  if (digestsFile !== undefined && !dryRun) {
    const lines = [...report.components, ...report.clusters].filter((p) => p.location.startsWith('oci://')).map((p) => `${p.location.slice('oci://'.length)}@${p.digest}`);
    await writeFile(resolve(io.cwd ?? process.cwd(), digestsFile), lines.length > 0 ? `${[...new Set(lines)].join('\n')}\n` : '');
  }
  if (format === 'json') {
    io.stdout.write(`${JSON.stringify({ ...report, failed: report.failed.map((f) => ({ artifact: f.artifact, location: f.location, error: f.error.message })) }, null, 2)}\n`);
  } else {
    io.stdout.write(releaseSummary(report, release, args.positionals[0], destinations.isLayout ? destinations.options.layout : undefined));
  }
  return report.failed.length === 0 ? EXIT.ok : EXIT.errors;
}

function releaseSummary(report: ReleasePushReport, release: ReleaseManifest, dir: string, layout: string | undefined): string {
  const lines: string[] = [];
  const where = layout !== undefined ? ` to the OCI layout ${layout}` : '';
  if (report.dryRun) {
    for (const c of report.components) lines.push(`would push ${c.artifact} ${c.location}:${c.tags[0]} ${c.digest}`);
    for (const c of report.clusters) lines.push(`would push ${c.artifact} ${c.location}:${c.tags[0]} ${c.digest}`);
  }
  for (const f of report.followed) {
    const was = f.previous === undefined ? 'new tag' : `was ${shortDigest(f.previous)}`;
    if (f.action === 'moved') lines.push(`moved ${f.location}:${f.tag} -> ${f.digest} (${was})`);
    if (f.action === 'would-move') lines.push(`would move ${f.location}:${f.tag} -> ${f.digest} (${was})`);
    if (f.action === 'unchanged') lines.push(`unchanged ${f.location}:${f.tag} (already ${shortDigest(f.digest)})`);
  }
  const held = report.followed.filter((f) => f.action === 'held');
  const byEnv = new Map<string, number>();
  for (const f of held) byEnv.set(f.environment, (byEnv.get(f.environment) ?? 0) + 1);
  const all = [...report.components, ...report.clusters];
  const sum = (k: 'uploaded' | 'mounted' | 'existing' | 'bytesUploaded') => all.reduce((n, p) => n + p[k], 0);
  const moving = report.followed.filter((f) => f.action === (report.dryRun ? 'would-move' : 'moved')).length;
  if (report.dryRun) {
    lines.push(`dry run of revision ${report.revision.annotation}: would push ${report.components.length} component artifact${report.components.length === 1 ? '' : 's'} and ${report.clusters.length} candidate${report.clusters.length === 1 ? '' : 's'} ${report.candidate}${where}; would move ${moving} tag${moving === 1 ? '' : 's'}`);
  } else {
    lines.push(`revision ${report.revision.annotation}: ${report.components.length} component artifact${report.components.length === 1 ? '' : 's'} and ${report.clusters.length} candidate${report.clusters.length === 1 ? '' : 's'} ${report.candidate} pushed${where}; blobs: ${sum('uploaded')} uploaded (${formatSize(sum('bytesUploaded'))}), ${sum('mounted')} mounted, ${sum('existing')} unchanged; ${moving} tag${moving === 1 ? '' : 's'} moved`);
  }
  const target = layout !== undefined ? `--layout ${layout}` : '--registry';
  for (const [env, n] of [...byEnv].sort()) {
    const e = release.environments.find((x) => x.name === env);
    const how = e && e.deployOnPush && !e.production
      ? `held: push again without --hold-tags to move them: flux-fleet push ${dir} ${target} --revision ${report.revision.annotation}`
      : `moved by promotion: flux-fleet promote ${dir} ${target} --environment ${env}${release.clusters.some((c) => c.environment === env && c.wave !== undefined) ? ' --wave <n>' : ''} --revision ${report.revision.annotation}`;
    lines.push(`${n} tag${n === 1 ? '' : 's'} of ${env} not moved${report.failed.length > 0 ? '' : ` (${how})`}`);
  }
  if (report.failed.length > 0) lines.push(`${report.failed.length} failed; no tag was set for them, and no followed tag moved`);
  return `${lines.join('\n')}\n`;
}
