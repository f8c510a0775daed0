export {
  rolloutStages, type FleetPicture, type PictureCluster, type PictureComponent, type PictureEnvironment, type PictureNotification, type RolloutStage,
} from './fleet-picture.js';
export { renderFleetMarkdown, FLEET_MARKDOWN_FILE } from './fleet-markdown.js';
export { renderFleetHtml, FLEET_HTML_FILE, type FleetHtmlOptions } from './fleet-html.js';
export { fleetHtmlWithStatus, type FleetStatusSnapshot, type StatusCluster, type StatusState } from './fleet-status.js';
export { readTreeFolder, readTreeAtGitRef, gitLocationOf, isGitIgnored, TreeSnapshotError, type TreeSnapshot, type GitLocation } from './tree-snapshot.js';
export { diffFields, deepEqual, type FieldChange } from './field-diff.js';
export {
  diffFleetTrees, objectLabel, type FleetDiff, type ClusterChange, type ObjectChange, type FileChange, type StageSummary,
} from './fleet-diff.js';
export { formatFleetDiff, MARKDOWN_MAX_CHARS, type DiffFormat, type DiffReportOptions } from './diff-report.js';
