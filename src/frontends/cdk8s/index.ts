export { FluxApp, SynthError, type FluxAppProps, type SynthErrorOptions, type SynthReportLine } from './flux-app.js';
export type { ValidationMessage } from './validation-messages.js';
