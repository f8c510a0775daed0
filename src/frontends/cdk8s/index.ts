export * from './flux-app.js';
export type { ValidationMessage } from './validation-messages.js';
