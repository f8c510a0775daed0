#!/usr/bin/env node
import { run } from './main.js';

// The `flux-fleet` command: everything but the process wiring lives in main.ts, where it is tested.
try {
  process.exitCode = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() });
} catch (e) {
  process.stderr.write(`flux-fleet: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 2;
}
