import { publicSigstoreRoot } from '../../src/delivery/signing/trusted-root.js';
import { parseArgs } from '../../src/frontends/cli/args.js';
import { signerOptionsOf, SIGNER_OPTIONS } from '../../src/frontends/cli/signer-options.js';

const IDENTITY = ['--identity-token', 'token', '--certificate-identity', 'https://github.com/acme/fleet/.github/workflows/release.yaml@refs/tags/v1.0.0',
  '--certificate-oidc-issuer', 'https://token.actions.githubusercontent.com'];
const io = { stdout: { write: () => true }, stderr: { write: () => true } };

describe('keyless signing: what counts as already signed', () => {
  test('with the public instance, bundles made before are checked against the root @sigstore/tuf embeds', async () => {
    // WHEN
    const { signer } = await signerOptionsOf(parseArgs(IDENTITY, SIGNER_OPTIONS), io);
    // THEN
    expect(signer.policy).toStrictEqual({
      kind: 'keyless',
      identities: [{ issuer: '^https://token\\.actions\\.githubusercontent\\.com$', subject: '^https://github\\.com/acme/fleet/\\.github/workflows/release\\.yaml@refs/tags/v1\\.0\\.0$' }],
      trustedRoot: await publicSigstoreRoot(),
    });
  });

  test('with a private instance and no --trusted-root, none counts: every run signs', async () => {
    // WHEN
    const { signer } = await signerOptionsOf(parseArgs([...IDENTITY, '--fulcio-url', 'https://fulcio.example.com', '--rekor-url', 'https://rekor.example.com'], SIGNER_OPTIONS), io);
    // THEN
    expect(signer.policy).toBeUndefined();
  });

  test('without the identity, none counts', async () => {
    // WHEN
    const { signer } = await signerOptionsOf(parseArgs(['--identity-token', 'token'], SIGNER_OPTIONS), io);
    // THEN
    expect(signer.policy).toBeUndefined();
  });
});
