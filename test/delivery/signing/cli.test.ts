import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../../examples/fleet/app.js';
import { encryptPrivateKey, generateSigningKey, publicKeyPem } from '../../../src/delivery/signing/keys.js';
import { EXIT, run } from '../../../src/frontends/cli/index.js';
import { TestRegistry } from '../../support/registry.js';
import { FakeSigstore } from '../../support/sigstore.js';

const EU = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const US = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const AP = '123456789012.dkr.ecr.ap-southeast-1.amazonaws.com';
const ISSUER = 'https://token.actions.githubusercontent.com';
const MAIN = 'https://github.com/acme/fleet/.github/workflows/release.yaml@refs/heads/main';

let dir: string;
let eu: TestRegistry;
let us: TestRegistry;
let sigstore: FakeSigstore;
let pushed: string[];

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, { stdout: { write: (t: string) => { stdout += t; } }, stderr: { write: (t: string) => { stderr += t; } }, cwd: dir });
  return { code, stdout, stderr };
}

const aliases = (): string[] => ['--host-alias', `${EU}=${eu.host},${US}=${us.host},${AP}=${us.host}`];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flux-fleet-sign-cli-'));
  [eu, us, sigstore] = await Promise.all([TestRegistry.start(), TestRegistry.start(), FakeSigstore.start()]);
  process.env.COSIGN_PASSWORD = 'fleet password';
}, 120_000);

afterAll(async () => {
  delete process.env.COSIGN_PASSWORD;
  await Promise.all([eu.destroy(), us.destroy(), sigstore.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('flux-fleet keygen, push --sign, verify', () => {
  test('keygen writes an encrypted cosign.key and cosign.pub, and overwrites neither', async () => {
    // WHEN
    const first = await cli(['keygen']);
    const again = await cli(['keygen']);
    // THEN
    expect(first).toStrictEqual({ code: EXIT.ok, stdout: `Private key written to ${join(dir, 'cosign')}.key\nPublic key written to ${join(dir, 'cosign')}.pub\n`, stderr: '' });
    expect(readFileSync(join(dir, 'cosign.key'), 'utf8')).toMatch(/^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n/);
    expect((statSync(join(dir, 'cosign.key')).mode % 0o1000).toString(8)).toBe('600');
    expect(readFileSync(join(dir, 'cosign.pub'), 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(again.code).toBe(EXIT.usage);
    expect(again.stderr).toContain('cosign.key exists; keygen overwrites no key');
  });

  test('fails when only the .pub exists, writing no .key and leaving the .pub as it was', async () => {
    // GIVEN
    writeFileSync(join(dir, 'pub-only.pub'), 'kept\n');
    // WHEN
    const result = await cli(['keygen', '--output-prefix', 'pub-only']);
    // THEN
    expect([result.code, result.stdout]).toStrictEqual([EXIT.usage, '']);
    expect(result.stderr.split('\n')[0]).toBe(`flux-fleet: ${join(dir, 'pub-only')}.pub exists; keygen overwrites no key file: move it away or give another --output-prefix`);
    expect(existsSync(join(dir, 'pub-only.key'))).toBe(false);
    expect(readFileSync(join(dir, 'pub-only.pub'), 'utf8')).toBe('kept\n');
  });

  test('fails when the system refuses the folder: a file-access error, exit 1, with the system\'s message', async () => {
    // WHEN the prefix is in a folder that does not exist
    const result = await cli(['keygen', '--output-prefix', 'no-such-folder/cosign']);
    // THEN
    expect(result).toStrictEqual({
      code: EXIT.errors, stdout: '', stderr: `flux-fleet: ENOENT: no such file or directory, open '${join(dir, 'no-such-folder', 'cosign.key')}'\n`,
    });
  });

  test.each(['key', 'pub'])('fails when the .%s is a symbolic link, writing nothing through it', async (which) => {
    // GIVEN a link to a file elsewhere, and a dangling one
    writeFileSync(join(dir, `target-${which}`), 'not a key\n');
    symlinkSync(join(dir, `target-${which}`), join(dir, `linked-${which}.${which}`));
    symlinkSync(join(dir, `nowhere-${which}`), join(dir, `dangling-${which}.${which}`));
    // WHEN
    const linked = await cli(['keygen', '--output-prefix', `linked-${which}`]);
    const dangling = await cli(['keygen', '--output-prefix', `dangling-${which}`]);
    // THEN
    expect([linked.code, dangling.code]).toStrictEqual([EXIT.usage, EXIT.usage]);
    expect(linked.stderr.split('\n')[0]).toBe(`flux-fleet: ${join(dir, `linked-${which}`)}.${which} is a symbolic link; keygen writes no key through one: remove it or give another --output-prefix`);
    expect(dangling.stderr.split('\n')[0]).toBe(`flux-fleet: ${join(dir, `dangling-${which}`)}.${which} is a symbolic link; keygen writes no key through one: remove it or give another --output-prefix`);
    expect(readFileSync(join(dir, `target-${which}`), 'utf8')).toBe('not a key\n');
    expect(existsSync(join(dir, `nowhere-${which}`))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith(`linked-${which}`) || f.startsWith(`dangling-${which}`)).sort()).toStrictEqual([`dangling-${which}.${which}`, `linked-${which}.${which}`]);
  });

  test('push --sign signs what the clusters that verify the key pull, in each region, and leaves the rest for its own signer; verify accepts each with the key', async () => {
    // GIVEN the example fleet, whose staging verifies this key (production verifies the release workflow on v* tags)
    buildApp(join(dir, 'dist'), undefined, { fleetKey: readFileSync(join(dir, 'cosign.pub'), 'utf8') }).synth();
    // WHEN
    const push = await cli(['push', 'dist', '--registry', '--progress', 'plain', '--revision', `main@sha1:${'a'.repeat(40)}`, '--source', 'https://github.com/acme/fleet', '--concurrency', '1',
      '--hold-tags', '--sign', '--key', 'cosign.key', ...aliases()]);
    // THEN
    expect(push.code).toBe(EXIT.ok);
    const signed = push.stdout.split('\n').filter((l) => l.startsWith('signed '));
    // the infra component in the regions staging uses, then each staging cluster's candidate
    expect(signed.map((l) => l.split(' ')[1].replace(/@sha256:[0-9a-f]{64}/, ''))).toStrictEqual([
      `oci://${EU}/fleet/infra`, `oci://${US}/fleet/infra`,
      `oci://${EU}/fleet/clusters/stg-eu-1`, `oci://${EU}/fleet/clusters/stg-eu-2`, `oci://${US}/fleet/clusters/stg-us-1`,
    ]);
    // production's artifacts are left for the signer production verifies, and said so
    expect(push.stderr.trim().split('\n').map((l) => l.replace(/@sha256:[0-9a-f]{64}/, '').replace(/ \(its clusters accept .*\)$/, ''))).toStrictEqual([
      `not signed by this signer (no cluster pulling it accepts it): oci://${AP}/fleet/clusters/prod-ap-1`,
      `not signed by this signer (no cluster pulling it accepts it): oci://${AP}/fleet/infra`,
      `not signed by this signer (no cluster pulling it accepts it): oci://${EU}/fleet/clusters/prod-eu-1`,
      `not signed by this signer (no cluster pulling it accepts it): oci://${US}/fleet/clusters/prod-us-1`,
    ]);
    expect(push.stderr).toContain('(its clusters accept keyless subject ^https://github\\.com/acme/fleet/\\.github/workflows/release\\.yaml@refs/tags/v[^@]+$');
    pushed = signed.map((l) => l.split(' ')[1]).filter((ref) => ref.includes('/clusters/'));
    const verify = await cli(['verify', ...pushed, '--key', 'cosign.pub', ...aliases()]);
    expect(verify.code).toBe(EXIT.ok);
    expect(verify.stdout.split('\n').filter(Boolean).map((l) => l.replace(/@sha256:[0-9a-f]{64}/, '@<digest>'))).toStrictEqual([
      `verified oci://${EU}/fleet/clusters/stg-eu-1@<digest> (Sigstore bundle, signed by the key)`,
      `verified oci://${EU}/fleet/clusters/stg-eu-2@<digest> (Sigstore bundle, signed by the key)`,
      `verified oci://${US}/fleet/clusters/stg-us-1@<digest> (Sigstore bundle, signed by the key)`,
    ]);
  }, 180_000);

  test('fails when verify is given another key, naming the artifact and the reason', async () => {
    // GIVEN
    writeFileSync(join(dir, 'other.pub'), publicKeyPem(generateSigningKey().publicKey));
    // WHEN
    const verify = await cli(['verify', pushed[0], '--key', 'other.pub', ...aliases()]);
    // THEN
    expect(verify.code).toBe(EXIT.errors);
    expect(verify.stderr).toContain(`NOT verified ${pushed[0]}: ${pushed[0]}: no Sigstore bundle among its referrers (fallback tag sha256-`);
    expect(verify.stderr).toContain('its signature does not verify with the given public key: signed with another key');
  }, 60_000);

  test('sign --legacy-sig warns that Flux does not check the digest a .sig names', async () => {
    // WHEN
    const sign = await cli(['sign', pushed[1], '--key', 'cosign.key', '--legacy-sig', ...aliases()]);
    // THEN
    expect(sign.code).toBe(EXIT.ok);
    expect(sign.stdout).toBe(`already signed ${pushed[1]} (bundle ${sign.stdout.split('bundle ')[1].split(')')[0]}) + legacy .sig\n`);
    expect(sign.stderr).toMatch(/^warning: legacy cosign \.sig signatures are for clusters older than Flux v2\.8; Flux does not check which digest/);
  }, 60_000);

  test('fails when the key password is wrong', async () => {
    // GIVEN
    process.env.COSIGN_PASSWORD = 'wrong';
    try {
      // WHEN
      const sign = await cli(['sign', pushed[0], '--key', 'cosign.key', ...aliases()]);
      // THEN
      expect(sign).toStrictEqual({ code: EXIT.errors, stdout: '', stderr: 'flux-fleet: cosign.key: wrong password (COSIGN_PASSWORD does not decrypt this key)\n' });
    } finally {
      process.env.COSIGN_PASSWORD = 'fleet password';
    }
  });
});

describe('flux-fleet sign of the digests push lists', () => {
  test('signs the references push writes to --digests-file, as xargs passes them', async () => {
    // GIVEN: a push that lists its digests
    const push = await cli(['push', 'dist', '--registry', '--progress', 'plain', '--revision', `main@sha1:${'b'.repeat(40)}`, '--hold-tags', '--digests-file', 'digests.txt', ...aliases()]);
    const refs = readFileSync(join(dir, 'digests.txt'), 'utf8').trim().split('\n').filter((l) => /\/clusters\/stg-/.test(l));
    writeFileSync(join(dir, 'other.key'), encryptPrivateKey(generateSigningKey().privateKey, 'fleet password'));
    // WHEN: grep -E '/clusters/(stg-eu-1|stg-eu-2|stg-us-1)@' digests.txt | xargs npx flux-fleet sign --key other.key
    const sign = await cli(['sign', ...refs, '--key', 'other.key', ...aliases()]);
    // THEN
    expect(push.code).toBe(EXIT.ok);
    expect(refs.map((r) => r.replace(/@sha256:[0-9a-f]{64}$/, ''))).toStrictEqual([`${EU}/fleet/clusters/stg-eu-1`, `${EU}/fleet/clusters/stg-eu-2`, `${US}/fleet/clusters/stg-us-1`]);
    expect(sign.code).toBe(EXIT.ok);
    expect(sign.stdout.split('\n').filter(Boolean).map((l) => l.split(' ')[0])).toStrictEqual(['signed', 'signed', 'signed']);
  }, 180_000);
});

describe('flux-fleet sign and verify keyless', () => {
  test('signs with an identity token through Fulcio and Rekor; verify checks the identity under the trusted root', async () => {
    // GIVEN
    writeFileSync(join(dir, 'trusted_root.json'), JSON.stringify(sigstore.trustedRoot));
    const ref = pushed[2];
    // WHEN
    const sign = await cli(['sign', ref, '--identity-token', sigstore.token(MAIN, ISSUER), '--fulcio-url', sigstore.url, '--rekor-url', sigstore.url, ...aliases()]);
    const good = await cli(['verify', ref, '--certificate-identity', MAIN, '--certificate-oidc-issuer', ISSUER, '--trusted-root', 'trusted_root.json', ...aliases()]);
    const tags = await cli(['verify', ref, '--certificate-identity-regexp', '^https://github\\.com/acme/fleet/\\.github/workflows/release\\.yaml@refs/tags/v.+$',
      '--certificate-oidc-issuer', ISSUER, '--trusted-root', 'trusted_root.json', ...aliases()]);
    // THEN
    expect(sign.code).toBe(EXIT.ok);
    expect(good).toStrictEqual({ code: EXIT.ok, stdout: `verified ${ref} (Sigstore bundle, signed by ${MAIN} (issuer ${ISSUER}))\n`, stderr: '' });
    expect(tags.code).toBe(EXIT.errors);
    expect(tags.stderr).toContain(`signed by "${MAIN}" (issuer "${ISSUER}"), which does not match subject`);
  }, 120_000);

  test('fails when an identity regexp is not anchored', async () => {
    // WHEN
    const verify = await cli(['verify', pushed[2], '--certificate-identity-regexp', 'acme/fleet', '--certificate-oidc-issuer', ISSUER, '--trusted-root', 'trusted_root.json']);
    // THEN
    expect(verify.code).toBe(EXIT.usage);
    expect(verify.stderr).toContain('--certificate-identity-regexp "acme/fleet" is not anchored');
  });
});
