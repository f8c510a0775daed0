export { ConfigTreeError, WRITER_MARKER_FILE } from './tree-path.js';
export * from './config-tree.js';
export * from './render.js';
export { recordedDigest, writeTree, type ForeignFiles, type WriteOperation, type WriteTreeOptions, type WriteTreeResult } from './write-tree.js';
