import { isScalar, parseAllDocuments, visit, YAMLParseError, type Document } from 'yaml';
import { ERROR_CODES, FluxFleetError } from './errors.js';
import { formatSize } from '../artifact/digest.js';

/** Limits on a YAML text read from a tree, an artifact or a registry. */
export interface YamlReadLimits {
  /** The largest text parsed, in bytes (UTF-8). @default 16 MiB */
  readonly maxBytes?: number;
  /** The most documents in one text. @default 10000 */
  readonly maxDocuments?: number;
}

/** The limits applied when none are given. */
export const YAML_READ_LIMITS = { maxBytes: 16 * 1024 * 1024, maxDocuments: 10_000 } as const;

/** A YAML text over the limits; the message names the text, its size and the limit. */
export class YamlLimitError extends FluxFleetError {
  public constructor(message: string) {
    super(ERROR_CODES.yamlLimit, message);
  }
}

/**
 * Parses every document of a YAML text in time linear in its size. The `yaml` package checks map keys for
 * duplicates pairwise, which grows with the square of a map's size (a map of 80,000 keys takes a minute): here that
 * check is off and duplicates are found with one set per map instead, reported as the same `DUPLICATE_KEY` errors.
 * Aliases stay bounded by `yaml`'s own alias count limit when documents are converted with `toJS()`.
 * @param what names the text in errors, e.g. a file path
 * @throws YamlLimitError when the text is larger than `maxBytes` or holds more than `maxDocuments` documents
 */
export function parseYamlDocuments(text: string, what: string, limits: YamlReadLimits = {}): Document.Parsed[] {
  const maxBytes = limits.maxBytes ?? YAML_READ_LIMITS.maxBytes;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) {
    throw new YamlLimitError(`${what} is ${formatSize(bytes)}, more than the ${formatSize(maxBytes)} a YAML file may be; split it, or raise the limit`);
  }
  const docs = parseAllDocuments(text, { uniqueKeys: false });
  const list = Array.isArray(docs) ? docs : [docs];
  const maxDocuments = limits.maxDocuments ?? YAML_READ_LIMITS.maxDocuments;
  if (list.length > maxDocuments) throw new YamlLimitError(`${what} holds ${list.length} YAML documents, more than the ${maxDocuments} allowed; split it`);
  for (const doc of list) {
    if (doc.errors.length > 0) continue;
    visit(doc, {
      Map(_, map) {
        const seen = new Set<unknown>();
        for (const pair of map.items) {
          const key = isScalar(pair.key) ? pair.key.value : pair.key;
          if (seen.has(key)) {
            // The first duplicate of a document is reported, with its line and column.
            const offset = isScalar(pair.key) && pair.key.range ? pair.key.range[0] : 0;
            const error = new YAMLParseError([offset, offset + 1], 'DUPLICATE_KEY', 'Map keys must be unique');
            const before = text.slice(0, offset);
            error.linePos = [{ line: before.split('\n').length, col: offset - before.lastIndexOf('\n') }];
            doc.errors.push(error);
            return visit.BREAK;
          }
          seen.add(key);
        }
        return undefined;
      },
    });
  }
  return list as Document.Parsed[];
}
