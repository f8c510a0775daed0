export { planAdoption, type Adoption, type AdoptionEntry, type AdoptionOutcome } from './adoption.js';
export { formatAdoption, orphanCommands, deleteCommands, type AdoptionFormat } from './adoption-report.js';
export { readExportedState, readRepositoryState } from './current-state.js';
export { readSynthesizedState } from './synthesized-state.js';
export type { ClusterState, StateObject } from './cluster-state.js';
