/**
 * Text fit to print on a terminal. Text read from a registry, a tree or an argument may hold control characters:
 * escape sequences that clear the screen or move the cursor, carriage returns that overwrite a line, bidirectional
 * overrides that reorder it. Every printer passes such text through these functions.
 */

// C0 and C1 controls, DEL, and the bidirectional marks and overrides.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// The same, but for line feeds and tabs, which a report of several lines keeps.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE_BUT_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** One line of text with every control character (terminal escape sequences among them) replaced by `?`. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, '?');
}

/** Text of several lines with every control character but line feeds and tabs replaced by `?`. */
export function sanitizeForTerminal(text: string): string {
  return text.replace(UNPRINTABLE_BUT_LINES, '?');
}
