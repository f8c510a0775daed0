import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { encryptPrivateKey, generateSigningKey, publicKeyPem } from '../../../delivery/signing/keys.js';
import { EXIT, parseArgs, UsageError, type CliIo, type Command } from '../args.js';
import { stringOption } from '../options.js';

const KEYGEN_USAGE = `Usage: flux-fleet keygen [--output-prefix <path>]

Writes a new ECDSA P-256 key pair for signing artifacts: <prefix>.key, the private key in cosign's encrypted format
(password from COSIGN_PASSWORD; cosign reads it too), and <prefix>.pub, the public key clusters verify with.
Neither file is overwritten.

Options:
  --output-prefix <path>          Where to write the two files (default: cosign)
  -h, --help                      Show this help
`;

/** `flux-fleet keygen`: writes cosign.key (encrypted) and cosign.pub. */
export const keygenCommand: Command = {
  summary: 'keygen            Write a signing key pair: cosign.key (encrypted with COSIGN_PASSWORD), cosign.pub',
  run: keygen,
};

async function keygen(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { 'help': {}, 'output-prefix': { value: true } });
  if (args.options.has('help')) {
    io.stdout.write(KEYGEN_USAGE);
    return EXIT.ok;
  }
  if (args.positionals.length > 0) throw new UsageError('keygen takes no arguments');
  const password = process.env.COSIGN_PASSWORD;
  if (password === undefined) throw new UsageError('keygen encrypts the private key with COSIGN_PASSWORD; set it (an empty value writes a key without password)');
  const prefix = resolve(io.cwd ?? process.cwd(), stringOption(args, 'output-prefix') ?? 'cosign');
  const key = generateSigningKey();
  try {
    await writeFile(`${prefix}.key`, encryptPrivateKey(key.privateKey, password), { flag: 'wx', mode: 0o600 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`${prefix}.key exists; keygen overwrites no key: move it away or give another --output-prefix`);
    throw e;
  }
  await writeFile(`${prefix}.pub`, publicKeyPem(key.publicKey), { mode: 0o644 });
  io.stdout.write(`Private key written to ${prefix}.key\nPublic key written to ${prefix}.pub\n`);
  return EXIT.ok;
}
