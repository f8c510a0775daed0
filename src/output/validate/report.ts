/** One problem found in a config-repo tree. */
export interface ValidationFinding {
  /** The file, relative to the tree root with `/` separators; `.` for the tree as a whole. */
  readonly file: string;
  /** The object concerned, as `Kind/namespace/name` (`Kind/name` for cluster-scoped kinds). @default - the file as a whole */
  readonly object?: string;
  /** What is wrong, with the value received and the fix. */
  readonly message: string;
}

/** What validating a tree found. */
export interface ValidationReport {
  /** Every problem, ordered by file, then document, then check. Empty when the tree is valid. */
  readonly errors: ValidationFinding[];
  /** How many cluster folders (`clusters/<cluster>/`) the tree has. */
  readonly clusters: number;
  /** How many YAML files were read. */
  readonly files: number;
  /** How many Kubernetes objects those files hold (kustomization files not counted). */
  readonly objects: number;
}

/** How a report is printed. */
export type ReportFormat = 'text' | 'json';

/**
 * A report as text (one line per error, `file: object: message`, then a summary line) or as JSON (the report
 * object, indented). Both end with a newline.
 */
export function formatReport(report: ValidationReport, format: ReportFormat = 'text'): string {
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  const lines = report.errors.map((e) => `${e.file}: ${e.object ? `${e.object}: ` : ''}${e.message}`);
  const counts = `${plural(report.clusters, 'cluster')}, ${plural(report.files, 'file')}, ${plural(report.objects, 'object')}`;
  lines.push(report.errors.length === 0 ? `OK: ${counts}, no errors` : `${plural(report.errors.length, 'error')} in ${counts}`);
  return `${lines.join('\n')}\n`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
