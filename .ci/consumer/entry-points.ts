// Every entry point of the package but flux-fleet/pulumi (which needs the Pulumi peers: .ci/pulumi-consumer.sh):
// a value and a type of each, type-checked with the consumer's module resolution and run. An error from one entry
// point is recognised by the brand of the root's FluxFleetError.
import { createHash } from 'node:crypto';
import { FluxFleetError, type FluxFleetErrorCode } from 'flux-fleet';
import { EXIT_STATUS, run, type CliIo } from 'flux-fleet/cli';
import { parseReference, type ArtifactReference } from 'flux-fleet/delivery';
import { readTar, sha256Digest, writeTar, type ArtifactFile } from 'flux-fleet/artifact';
import { parseReleaseManifest, RELEASE_MANIFEST_FILE } from 'flux-fleet/output';

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`entry points: ${what}`);
}

async function main(): Promise<void> {
  // flux-fleet/delivery
  const ref: ArtifactReference = parseReference('oci://ghcr.io/acme/fleet:latest');
  check(ref.kind === 'registry' && ref.host === 'ghcr.io' && ref.repository === 'acme/fleet' && ref.tag === 'latest', `parseReference gave ${JSON.stringify(ref)}`);

  // flux-fleet/artifact
  const files: ArtifactFile[] = [{ path: 'a/kustomization.yaml', content: Buffer.from('resources: []\n') }];
  const tar = writeTar(files);
  const read = readTar(tar);
  check(read.length === 1 && read[0].path === 'a/kustomization.yaml' && read[0].content.toString() === 'resources: []\n', 'readTar(writeTar(files)) is not the files');
  check(sha256Digest(tar) === `sha256:${createHash('sha256').update(tar).digest('hex')}`, 'sha256Digest is not the tarball\'s sha256');

  // flux-fleet/output: a refusal, recognised by the root's brand, with the code the command line maps.
  let code: FluxFleetErrorCode | undefined;
  try {
    parseReleaseManifest({ version: 'forged' });
  } catch (e) {
    if (FluxFleetError.isFluxFleetError(e)) code = e.code;
    else throw e;
  }
  check(code === 'release-manifest', `parseReleaseManifest of a forged ${RELEASE_MANIFEST_FILE} threw code ${String(code)}`);

  // flux-fleet/cli
  let out = '';
  const io: CliIo = { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (out += t) } };
  const status = await run(['--version'], io);
  check(status === 0 && out.startsWith('flux-fleet '), `run(['--version']) exited ${status}: ${out}`);
  check(code !== undefined && EXIT_STATUS[code] === 1, `EXIT_STATUS of ${String(code)} is not 1`);

  console.log(`  entry points: flux-fleet/delivery, /artifact, /output, /cli imported and run (${out.trim()})`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
