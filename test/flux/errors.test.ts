import { RegistryError } from '../../src/delivery/oci/client.js';
import { ArchiveError } from '../../src/flux/artifact/tar.js';
import { ERROR_CODES, FileAccessError, FluxFleetError, SelectionError, ValidationError } from '../../src/flux/core/errors.js';
import { SynthError } from '../../src/frontends/cdk8s/flux-app.js';
import { EXIT, EXIT_STATUS, UsageError } from '../../src/frontends/cli/args.js';

describe('FluxFleetError', () => {
  test('every error class carries its code and name, and is recognised by its brand', () => {
    // GIVEN
    const errors = [new ArchiveError('bad tar'), new RegistryError('down', { status: 503 }), new UsageError('no folder'), new ValidationError('bad', 'Fleet/acme')];
    // THEN
    expect(errors.map((e) => [e.name, e.code, FluxFleetError.isFluxFleetError(e)])).toStrictEqual([
      ['ArchiveError', 'archive', true],
      ['RegistryError', 'registry', true],
      ['UsageError', 'usage', true],
      ['ValidationError', 'validation', true],
    ]);
    expect(errors[3].message).toBe('Fleet/acme: bad');
  });

  test('a copy of the package is recognised by the brand, where instanceof fails', () => {
    // GIVEN an error made by another copy of the class: same brand, other prototype
    const foreign = Object.defineProperty(new Error('from another copy'), Symbol.for('flux-fleet.FluxFleetError'), { value: true });
    // THEN
    expect(foreign instanceof FluxFleetError).toBe(false);
    expect(FluxFleetError.isFluxFleetError(foreign)).toBe(true);
    expect(FluxFleetError.isFluxFleetError(new Error('plain'))).toBe(false);
    expect(FluxFleetError.isFluxFleetError(undefined)).toBe(false);
  });

  test('a synth error is one too, and keeps no enumerable fields', () => {
    // GIVEN
    const e = new SynthError([{ path: 'acme/stg-1/podinfo', message: 'bad interval', cluster: 'stg-1', where: 'acme/<cluster>/podinfo' }]);
    // THEN
    expect([e.code, FluxFleetError.isFluxFleetError(e), Object.keys(e)]).toStrictEqual(['synth', true, []]);
  });

  test('a failed file-system call becomes a file-access error; other errors do not', async () => {
    // GIVEN
    const missing = await import('node:fs/promises').then((fs) => fs.readFile('/no/such/file/anywhere')).catch((e: unknown) => e);
    // WHEN
    const wrapped = FileAccessError.fromSystemError(missing);
    // THEN
    expect([wrapped?.code, wrapped?.systemCode, wrapped?.message, wrapped?.cause]).toStrictEqual(
      ['file-access', 'ENOENT', 'ENOENT: no such file or directory, open \'/no/such/file/anywhere\'', missing]);
    expect([FileAccessError.fromSystemError(new Error('plain')), FileAccessError.fromSystemError('ENOENT')]).toStrictEqual([undefined, undefined]);
    expect(new SelectionError('there is no environment "prod"').code).toBe('selection');
  });

  test('the command line has an exit status for every code', () => {
    // THEN
    expect(Object.keys(EXIT_STATUS).sort()).toStrictEqual(Object.values(ERROR_CODES).sort());
    expect(EXIT_STATUS[ERROR_CODES.usage]).toBe(EXIT.usage);
    expect(EXIT_STATUS[ERROR_CODES.refused]).toBe(EXIT.errors);
    expect(EXIT_STATUS[ERROR_CODES.selection]).toBe(EXIT.usage);
    expect(EXIT_STATUS[ERROR_CODES.fileAccess]).toBe(EXIT.errors);
  });
});
