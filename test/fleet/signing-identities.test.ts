import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { JsonPatch } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { generateSigningKey, publicKeyPem } from '../../src/delivery/signing/keys.js';
import { ComponentSource, Fleet, FluxApp, OciRepository, Registry, Signing, SynthError } from '../../src/index.js';
import { validateTree } from '../../src/output/index.js';
import { testLock } from '../support/fleet-lock.js';

const ISSUER = '^https://token\\.actions\\.githubusercontent\\.com$';
const MAIN = '^https://github\\.com/acme/fleet/\\.github/workflows/release\\.yaml@refs/heads/main$';
const TAGS = '^https://github\\.com/acme/fleet/\\.github/workflows/release\\.yaml@refs/tags/v[^@]+$';
const PUBLIC_KEY = publicKeyPem(generateSigningKey().publicKey);

function objects(dir: string, file: string): any[] {
  return parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((d) => d.toJS());
}

/**
 * The `verify` of the sources in a file; for a kustomize component's file, of the shared source in the cluster's
 * `sources.yaml` that its Kustomization reads.
 */
function verifyOf(dir: string, file: string, kind = 'OCIRepository'): unknown[] {
  const own = objects(dir, file).filter((o) => o.kind === kind);
  if (own.length > 0 || kind !== 'OCIRepository') return own.map((o) => o.spec.verify);
  const ref = objects(dir, file).find((o) => o.kind === 'Kustomization').spec.sourceRef;
  const sources = join(dirname(file), 'sources.yaml');
  return objects(dir, sources).filter((o) => o.kind === kind && o.metadata.name === ref.name).map((o) => o.spec.verify);
}

/** An artifact another pipeline pushes into the fleet's registry, at an exact version. */
function pushed(repository: string): ComponentSource {
  return ComponentSource.mirroredArtifact(`oci://ghcr.io/acme/${repository}`, { repository, ref: { tag: '1.0.0' } });
}

function syncVerify(dir: string, cluster: string): unknown {
  const instance = objects(dir, `clusters/${cluster}/flux-system/flux-system.yaml`).find((o) => o.kind === 'FluxInstance');
  const patch = instance.spec.kustomize.patches.find((p: any) => p.target.name === 'flux-system');
  return (parseAllDocuments(patch.patch)[0].toJS() as any[]).find((op) => op.path === '/spec/verify').value;
}

function synth(build: (app: FluxApp) => void): { dir: string; errors: string[] } {
  const dir = join(mkdtempSync(join(tmpdir(), 'fleet-signing-')), 'dist');
  const app = new FluxApp({ outdir: dir });
  build(app);
  try {
    app.synth();
    return { dir, errors: [] };
  } catch (e) {
    if (!(e instanceof SynthError)) throw e;
    return { dir, errors: e.errors.map((x) => x.message) };
  }
}

function fleetOf(app: FluxApp, flux = '2.9.x'): Fleet<{ domain: string }> {
  return new Fleet<{ domain: string }>(app, 'acme', {
    registry: Registry.ecr({ account: '123456789012', repository: 'fleet' }),
    signing: Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml' }),
    lock: testLock(...['infra', 'apps', 'shop', 'web-shop', 'apps/web-shop'].map((r): [string, { tag: string }] => [`oci://ghcr.io/acme/${r}`, { tag: '1.0.0' }])),
    flux: { version: flux },
  });
}

describe('who signs, per environment, component and tenant', () => {
  test('staging verifies the main branch, production only release tags, in every verify block', () => {
    // GIVEN
    const { dir, errors } = synth((app) => {
      const fleet = fleetOf(app);
      const staging = fleet.addEnvironment('staging', { channel: 'latest' });
      const production = fleet.addEnvironment('production', {
        channel: 'stable',
        signing: Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml', ref: 'refs/tags/v*' }),
      });
      staging.addCluster('stg-eu-1', { region: 'eu-west-1', vars: { domain: 'stg.acme.io' } });
      production.addCluster('prod-eu-1', { region: 'eu-west-1', vars: { domain: 'eu.acme.io' } });
      fleet.addComponent('infra', { source: pushed('infra') });
    });
    // THEN
    expect(errors).toStrictEqual([]);
    const main = { provider: 'cosign', matchOIDCIdentity: [{ issuer: ISSUER, subject: MAIN }] };
    const tags = { provider: 'cosign', matchOIDCIdentity: [{ issuer: ISSUER, subject: TAGS }] };
    expect([syncVerify(dir, 'stg-eu-1'), ...verifyOf(dir, 'clusters/stg-eu-1/infra.yaml')]).toStrictEqual([main, main]);
    expect([syncVerify(dir, 'prod-eu-1'), ...verifyOf(dir, 'clusters/prod-eu-1/infra.yaml')]).toStrictEqual([tags, tags]);
    // the tag identity accepts release tags of that workflow and nothing else
    expect(new RegExp(TAGS).test('https://github.com/acme/fleet/.github/workflows/release.yaml@refs/tags/v1.4.0')).toBe(true);
    expect(new RegExp(TAGS).test('https://github.com/acme/fleet/.github/workflows/release.yaml@refs/heads/main')).toBe(false);
  });

  test('a tenant\'s key verifies its components, with the public key written into the tenant\'s namespace', async () => {
    // GIVEN
    const { dir, errors } = synth((app) => {
      const fleet = fleetOf(app);
      const production = fleet.addEnvironment('production', { channel: 'stable' });
      production.addCluster('prod-eu-1', { region: 'eu-west-1', vars: { domain: 'eu.acme.io' } });
      const web = fleet.addTenant('team-web', { signing: Signing.cosignKey({ secretName: 'team-web-cosign', publicKey: PUBLIC_KEY }) });
      fleet.addComponent('web-shop', { source: pushed('apps/web-shop'), tenant: web });
      fleet.addComponent('infra', { source: pushed('infra'), signing: Signing.cosignKey({ secretName: 'infra-cosign', publicKey: PUBLIC_KEY }) });
    });
    // THEN
    expect(errors).toStrictEqual([]);
    expect(verifyOf(dir, 'clusters/prod-eu-1/web-shop.yaml')).toStrictEqual([{ provider: 'cosign', secretRef: { name: 'team-web-cosign' } }]);
    const secrets = (file: string) => objects(dir, `clusters/prod-eu-1/${file}`).filter((o) => o.kind === 'Secret')
      .map((o) => ({ name: o.metadata.name, namespace: o.metadata.namespace, keys: Object.keys(o.stringData) }));
    // flux-system's comes with the bootstrap, the tenant's with the artifact that creates its namespace
    expect(secrets('flux-system/flux-system.yaml')).toStrictEqual([{ name: 'infra-cosign', namespace: 'flux-system', keys: ['cosign.pub'] }]);
    expect(secrets('signing-keys.yaml')).toStrictEqual([{ name: 'team-web-cosign', namespace: 'team-web', keys: ['cosign.pub'] }]);
    // the tree validator accepts public material in plain text, and kustomize builds the folder
    expect((await validateTree(dir)).errors).toStrictEqual([]);
    expect(execFileSync('kubectl', ['kustomize', join(dir, 'clusters/prod-eu-1')], { encoding: 'utf8' })).toContain('name: team-web-cosign');
  }, 60_000);

  test('a private Sigstore\'s trusted root is written where its identity verifies', () => {
    // GIVEN
    const root = JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] });
    const { dir, errors } = synth((app) => {
      const fleet = fleetOf(app);
      const staging = fleet.addEnvironment('staging', {
        channel: 'latest',
        signing: Signing.gitlabCi({ project: 'acme/fleet', host: 'gitlab.acme.io', trustedRootSecretRef: { name: 'sigstore-root' }, trustedRoot: root }),
      });
      staging.addCluster('stg-eu-1', { region: 'eu-west-1', vars: { domain: 'stg.acme.io' } });
    });
    // THEN
    expect(errors).toStrictEqual([]);
    expect(objects(dir, 'clusters/stg-eu-1/flux-system/flux-system.yaml').filter((o) => o.kind === 'Secret').map((o) => [o.metadata.namespace, o.metadata.name, o.stringData['trusted_root.json']]))
      .toStrictEqual([['flux-system', 'sigstore-root', root]]);
    expect((syncVerify(dir, 'stg-eu-1') as any).trustedRootSecretRef).toStrictEqual({ name: 'sigstore-root' });
  });
});

describe('synth refuses verification Flux would misread', () => {
  test('fails when an identity regex accepts any identity, is unanchored or leaves a dot unescaped', () => {
    // GIVEN
    const { errors } = synth((app) => {
      const fleet = fleetOf(app);
      fleet.addEnvironment('staging', { channel: 'latest', signing: Signing.oidc({ issuer: '^.*$', subject: 'https://github\\.com/acme/.+', regex: true }) })
        .addCluster('stg-eu-1', { region: 'eu-west-1', vars: { domain: 'stg.acme.io' } });
      fleet.addEnvironment('production', { channel: 'stable', signing: Signing.oidc({ issuer: ISSUER, subject: '^https://github.com/acme/fleet/.+$', regex: true }) })
        .addCluster('prod-eu-1', { region: 'eu-west-1', vars: { domain: 'eu.acme.io' } });
    });
    // THEN
    expect(errors).toStrictEqual([
      'environment staging signing: Signing.oidc() issuer "^.*$" accepts any identity (it matches \"https://evil.example/attacker\"), so any certificate the Sigstore instance issued would verify; match the one signer, e.g. "^https://github\\.com/acme/fleet/\\.github/workflows/release\\.yaml@refs/heads/main$"',
      'environment staging signing: Signing.oidc() subject "https://github\\\\.com/acme/.+" is not anchored, so it would also match inside a longer identity; wrap it in ^...$, e.g. "^https://github\\\\.com/acme/.+$"',
      'environment production signing: Signing.oidc() subject "^https://github.com/acme/fleet/.+$" has an unescaped "." in "github.com", which matches any character (so a look-alike host or name would match too); escape it: "github\\\\.com"',
    ]);
  });

  /** The errors of a fleet whose staging verifies `subject` (a regular expression) from GitHub Actions' issuer. */
  function subjectErrors(subject: string): string[] {
    return synth((app) => {
      fleetOf(app).addEnvironment('staging', { channel: 'latest', signing: Signing.oidc({ issuer: ISSUER, subject, regex: true }) })
        .addCluster('stg-eu-1', { region: 'eu-west-1', vars: { domain: 'stg.acme.io' } });
    }).errors;
  }

  const ANY = ', so any certificate the Sigstore instance issued would verify; match the one signer, e.g. "^https://github\\.com/acme/fleet/\\.github/workflows/release\\.yaml@refs/heads/main$"';
  test.each(['^.*.*$', '^(?:.*)$', '^[\\s\\S]*$', '^.{0,}$', '(?i)^(.|\\n)+$'])('fails when the identity pattern %s accepts any identity, found by probing it', (subject) => {
    // WHEN
    const errors = subjectErrors(subject);
    // THEN
    expect(errors).toStrictEqual([`environment staging signing: Signing.oidc() subject ${JSON.stringify(subject)} accepts any identity (it matches "https://evil.example/attacker")${ANY}`]);
  });

  test('fails when alternatives sit outside a group, so that the pattern accepts another repository\'s workflow', () => {
    // GIVEN
    const subject = '^https://github\\.com/acme/fleet/\\.github/workflows/release\\.yaml@refs/heads/main|refs/tags/v1$';
    // WHEN
    const errors = subjectErrors(subject);
    // THEN
    expect(errors).toStrictEqual([
      `environment staging signing: Signing.oidc() subject ${JSON.stringify(subject)} has alternatives outside any group, so "^" anchors only the first and "$" only the last, ` +
      'so it accepts "https://github.com/evil/evil/.github/workflows/evil.yaml@refs/tags/v1"; put them in a group with the anchors outside: ' +
      '"^(?:https://github\\\\.com/acme/fleet/\\\\.github/workflows/release\\\\.yaml@refs/heads/main|refs/tags/v1)$", or alternate only the refs: ' +
      '"^https://github\\\\.com/acme/fleet/\\\\.github/workflows/release\\\\.yaml@(?:refs/heads/main|refs/tags/v1)$"',
    ]);
    // the fix it suggests passes
    expect(subjectErrors('^https://github\\.com/acme/fleet/\\.github/workflows/release\\.yaml@(?:refs/heads/main|refs/tags/v1)$')).toStrictEqual([]);
  });

  test.each([
    ['another owner', '^https://github\\.com/[a-z]+/fleet/\\.github/workflows/release\\.yaml@refs/heads/main$',
      'https://github.com/a/fleet/.github/workflows/release.yaml@refs/heads/main', 'https://github.com/evil/fleet/.github/workflows/release.yaml@refs/heads/main', 'spell the owner literally'],
    ['another repository', '^https://github\\.com/acme/fleet[^/]*/\\.github/workflows/release\\.yaml@refs/heads/main$',
      'https://github.com/acme/fleet/.github/workflows/release.yaml@refs/heads/main', 'https://github.com/acme/fleet-evil/.github/workflows/release.yaml@refs/heads/main', 'spell the repository literally'],
    ['another ref', '^https://github\\.com/acme/fleet/\\.github/workflows/release\\.yaml@.+$',
      'https://github.com/acme/fleet/.github/workflows/release.yaml@a', 'https://github.com/acme/fleet/.github/workflows/release.yaml@refs/heads/evil',
      'spell the ref (refs/heads/main), or a ref prefix with its kind followed by [^@]+ (refs/tags/v[^@]+)'],
    ['another ref', '^https://github\\.com/acme/fleet/\\.github/workflows/release\\.yaml@refs/heads/main.*$',
      'https://github.com/acme/fleet/.github/workflows/release.yaml@refs/heads/main', 'https://github.com/acme/fleet/.github/workflows/release.yaml@refs/heads/main-evil',
      'spell the ref (refs/heads/main), or a ref prefix with its kind followed by [^@]+ (refs/tags/v[^@]+)'],
    ['another host', '^https://[a-z.]+/acme/fleet//\\.gitlab-ci\\.yml@refs/heads/main$',
      'https://a/acme/fleet//.gitlab-ci.yml@refs/heads/main', 'https://evil/acme/fleet//.gitlab-ci.yml@refs/heads/main', 'spell the host literally, with its dots escaped ("github\\.com")'],
    ['another project', '^https://gitlab\\.com/acme/[^/]+//\\.gitlab-ci\\.yml@refs/heads/main$',
      'https://gitlab.com/acme/a//.gitlab-ci.yml@refs/heads/main', 'https://gitlab.com/acme/evil//.gitlab-ci.yml@refs/heads/main', 'spell the project literally'],
  ])('fails when the identity pattern accepts %s, found by probing it', (what, subject, witness, probe, fix) => {
    // WHEN
    const errors = subjectErrors(subject);
    // THEN
    expect(errors).toStrictEqual([
      `environment staging signing: Signing.oidc() subject ${JSON.stringify(subject)} accepts identities with ${what}, outside the one it is written for (${JSON.stringify(witness)}): it matches ${JSON.stringify(probe)}; ${fix}`,
    ]);
  });

  test('accepts patterns that say exactly who signs: one ref, a tag prefix, any tag, alternatives in a group, a case-insensitive host', () => {
    // GIVEN
    const patterns = [
      MAIN, TAGS,
      '^https://github\\.com/stefanprodan/podinfo/\\.github/workflows/release\\.yml@refs/tags/.+$',
      '^https://github\\.com/controlplaneio-fluxcd/charts/\\.github/workflows/release\\.yml@refs/tags/v[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z.-]+)?$',
      '^https://github\\.com/acme/fleet/\\.github/workflows/release\\.yaml@refs/(?:heads/main|tags/v[^@]+)$',
      '^(?:https://github\\.com/acme/fleet/\\.github/workflows/release\\.yaml@refs/heads/main|https://github\\.com/acme/fleet/\\.github/workflows/hotfix\\.yaml@refs/heads/main)$',
      '(?i)^https://GitHub\\.com/acme/fleet/\\.github/workflows/release\\.yaml@refs/heads/main$',
      '^bot@acme\\.io$',
    ];
    // THEN
    expect(patterns.flatMap(subjectErrors)).toStrictEqual([]);
  });

  test('fails when a pattern uses syntax that cannot be probed, saying which', () => {
    // WHEN
    const errors = subjectErrors('^https://github\\.com/acme/\\pL+/\\.github/workflows/release\\.yaml@refs/heads/main$');
    // THEN
    expect(errors).toStrictEqual([
      'environment staging signing: Signing.oidc() subject "^https://github\\\\.com/acme/\\\\pL+/\\\\.github/workflows/release\\\\.yaml@refs/heads/main$" cannot be checked for what it accepts: ' +
      'it uses the escape \\p (flux-fleet reads \\d \\w \\s, their negations, \\n \\t \\r \\f \\v, \\xHH and escaped punctuation); write it with literal text, escapes (\\.), classes ([^@]), groups ((?:...)), alternatives and repetitions',
    ]);
  });

  /** The errors of a staging cluster whose component source's verify gets an escape-hatch patch. */
  function patchedSourceErrors(patch: JsonPatch): string[] {
    return synth((app) => {
      const fleet = fleetOf(app);
      const staging = fleet.addEnvironment('staging', { channel: 'latest' });
      const cluster = staging.addCluster('stg-eu-1', { region: 'eu-west-1', vars: { domain: 'stg.acme.io' } });
      fleet.addComponent('infra', { source: pushed('infra') });
      fleet.build();
      const source = cluster.node.findAll().find((o): o is OciRepository => o instanceof OciRepository && o.name === 'infra')!;
      source.addJsonPatch(patch);
    }).errors;
  }

  test('fails when a hand-written source\'s identity accepts another repository, on every cluster it is on', () => {
    // GIVEN: an escape-hatch patch widening a component source's identity
    const errors = patchedSourceErrors(JsonPatch.replace('/spec/verify/matchOIDCIdentity/0/subject', '^https://github\\.com/acme/.+/\\.github/workflows/release\\.yaml@refs/heads/main$'));
    // THEN
    expect(errors).toStrictEqual([
      'cluster stg-eu-1 (sources.yaml): OCIRepository infra verify matchOIDCIdentity[0].subject "^https://github\\\\.com/acme/.+/\\\\.github/workflows/release\\\\.yaml@refs/heads/main$" ' +
      'accepts identities with another repository, outside the one it is written for ("https://github.com/acme/a/.github/workflows/release.yaml@refs/heads/main"): ' +
      'it matches "https://github.com/acme/evil/.github/workflows/release.yaml@refs/heads/main"; spell the repository literally',
    ]);
  });

  test('fails when a source lists two identities on the bundle path', () => {
    // GIVEN: an escape-hatch patch adding a second identity to a component's source
    const errors = patchedSourceErrors(JsonPatch.add('/spec/verify/matchOIDCIdentity/-', { issuer: ISSUER, subject: TAGS }));
    // THEN
    expect(errors).toStrictEqual([
      'cluster stg-eu-1 (sources.yaml): OCIRepository infra verify lists 2 matchOIDCIdentity entries, and Flux 2.9.x verifies Sigstore bundles against one only ("unsupported: multiple identities"); declare one signer per source (per environment, component, chart or tenant)',
    ]);
  });

  test('fails when clusters on Flux older than v2.8 would get bundles only', () => {
    // GIVEN
    const { errors } = synth((app) => {
      const fleet = fleetOf(app, '2.7.x');
      fleet.addEnvironment('staging', { channel: 'latest' }).addCluster('stg-eu-1', { region: 'eu-west-1', vars: { domain: 'stg.acme.io' } });
    });
    const legacy = synth((app) => {
      const fleet = new Fleet(app, 'acme', {
        registry: Registry.ecr({ account: '123456789012', repository: 'fleet' }),
        signing: Signing.cosignKey({ secretName: 'cosign', legacySig: true }),
        flux: { version: '2.7.x' },
      });
      fleet.addEnvironment('staging', { channel: 'latest' }).addCluster('stg-eu-1', { region: 'eu-west-1', vars: {} });
    });
    // THEN
    expect(errors).toStrictEqual([
      'cluster stg-eu-1 runs Flux 2.7.x, which reads only cosign v2 .sig signatures, and its environment\'s signer writes Sigstore bundles only (Flux v2.8+); move the cluster to Flux 2.8 or newer, or sign with a key declared with legacySig: true',
    ]);
    expect(legacy.errors).toStrictEqual([]);
  });
});

describe('bootstrap from Pulumi', () => {
  test('applies the public key the sync source verifies with before the first sync', async () => {
    // GIVEN
    const { planFluxBootstrap } = await import('../../src/frontends/pulumi/bootstrap-plan.js');
    const app = new FluxApp({ outdir: mkdtempSync(join(tmpdir(), 'fleet-plan-')) });
    const fleet = new Fleet(app, 'acme', {
      registry: Registry.ecr({ account: '123456789012', repository: 'fleet' }),
      signing: Signing.cosignKey({ secretName: 'fleet-cosign', publicKey: PUBLIC_KEY }),
    });
    fleet.addEnvironment('staging', { channel: 'latest' }).addCluster('stg-eu-1', { region: 'eu-west-1', vars: {} });
    // WHEN
    const plan = planFluxBootstrap(fleet, 'stg-eu-1');
    // THEN
    expect(plan.apply.map((o) => `${o.kind}/${o.metadata.name}`)).toStrictEqual(['Secret/fleet-cosign', 'ConfigMap/flux-runtime-info', 'FluxInstance/flux']);
    expect(plan.apply[0].stringData).toStrictEqual({ 'cosign.pub': PUBLIC_KEY });
  });
});
