export * from './provider.js';
export { Alert, EventSource, KindSelection, EVENT_SOURCE_KINDS, type IAlert, type AlertProps, type EventSourceKind, type KindSelectorOptions } from './alert.js';
export * from './receiver.js';
