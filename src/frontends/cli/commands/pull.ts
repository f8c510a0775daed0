// `flux-fleet pull` shares its reading of artifacts with `inspect`.
export { pullCommand } from './inspect.js';
