import { lstat, rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { encryptPrivateKey, generateSigningKey, publicKeyPem } from '../../../delivery/signing/keys.js';
import { printable } from '../../../flux/core/terminal-text.js';
import { EXIT, parseArgs, UsageError, type CliIo, type Command } from '../args.js';
import { stringOption } from '../options.js';

const KEYGEN_USAGE = `Usage: flux-fleet keygen [--output-prefix <path>]

Writes a new ECDSA P-256 key pair for signing artifacts: <prefix>.key, the private key in cosign's encrypted format
(password from COSIGN_PASSWORD; cosign reads it too), and <prefix>.pub, the public key clusters verify with.
Neither file is overwritten, and neither is written through a symbolic link: keygen stops when either exists.

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
  const files = [`${prefix}.key`, `${prefix}.pub`];
  for (const file of files) {
    const found = await lstat(file).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (found?.isSymbolicLink()) throw new UsageError(`${printable(file)} is a symbolic link; keygen writes no key through one: remove it or give another --output-prefix`);
    if (found) throw new UsageError(`${printable(file)} exists; keygen overwrites no key file: move it away or give another --output-prefix`);
  }
  const key = generateSigningKey();
  // Exclusive creation: a file (or symbolic link) appearing meanwhile is not written through either.
  await create(files[0], encryptPrivateKey(key.privateKey, password), 0o600);
  try {
    await create(files[1], publicKeyPem(key.publicKey), 0o644);
  } catch (e) {
    await rm(files[0], { force: true });
    throw e;
  }
  io.stdout.write(`Private key written to ${printable(files[0])}\nPublic key written to ${printable(files[1])}\n`);
  return EXIT.ok;
}

/** Creates a file that must not exist (nor be a symbolic link). */
async function create(file: string, content: string, mode: number): Promise<void> {
  try {
    await writeFile(file, content, { flag: 'wx', mode });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`${printable(file)} appeared while keygen ran; keygen overwrites no file: move it away and run it again`);
    throw e;
  }
}
