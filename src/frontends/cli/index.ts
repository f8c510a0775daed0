// `flux-fleet/cli`: the command line as a function, for a program that runs its commands in-process.
export { run, EXIT } from './main.js';
export { EXIT_STATUS, type CliIo } from './args.js';
