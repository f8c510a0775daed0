export { validateTree } from './validate-tree.js';
export type { ValidateTreeOptions } from './validate-tree.js';
export { formatReport } from './report.js';
export type { ReportFormat, ValidationFinding, ValidationReport } from './report.js';
export { ALLOW_INSECURE_ANNOTATION } from '../../flux/core/api.js';
