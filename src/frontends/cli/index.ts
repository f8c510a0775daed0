export { run, EXIT } from './main.js';
export type { CliIo } from './main.js';
