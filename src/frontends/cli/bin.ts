#!/usr/bin/env node
import { EXIT, run } from './main.js';
import { formatSynthFailure } from '../cdk8s/flux-app.js';

// The `flux-fleet` command: everything but the process wiring lives in main.ts, where it is tested.
// A failure run() does not foresee (a bug) prints its message (and its stack only with FLUX_FLEET_DEBUG=1) and exits 70.
try {
  process.exitCode = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() });
} catch (e) {
  const debug = process.env.FLUX_FLEET_DEBUG === '1';
  process.stderr.write(`flux-fleet: unexpected error, a bug in flux-fleet: ${formatSynthFailure(e, debug)}\n${debug ? '' : '(set FLUX_FLEET_DEBUG=1 to see where it failed)\n'}`);
  process.exitCode = EXIT.internal;
}
