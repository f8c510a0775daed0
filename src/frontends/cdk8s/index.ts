export { FluxApp, SynthError, type FluxAppProps, type SynthErrorOptions, type SynthReportLine, type ValidationMessage } from './flux-app.js';
