import { Environment } from '@marcbachmann/cel-js';
import { Duration } from 'cdk8s';
import { FluxDuration, renderDuration } from './duration.js';

/** Parses CEL expressions a controller evaluates, with any variable allowed (their fields are the object's). */
const CEL_SYNTAX = new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false });

/**
 * The checks Flux's admission and controllers apply to field values, gathered as messages. Every message names the
 * field, quotes the value received and says what is allowed, so one report can list every mistake of a synth.
 */
export class Checks {
  /** Messages gathered so far, in the order found. */
  public readonly errors: string[] = [];

  /** Records a message. */
  public add(message: string): void {
    this.errors.push(message);
  }

  /** A DNS-1123 subdomain (object names), at most `max` characters. */
  public dnsName(field: string, value: string | undefined, max = 253): void {
    if (value === undefined) return;
    if (!DNS_SUBDOMAIN.test(value)) {
      this.add(`${field} ${q(value)} is not a DNS-1123 name: use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, e.g. ${q(suggestName(value))}`);
    } else if (value.length > max) {
      this.add(`${field} ${q(value)} is ${value.length} characters long; at most ${max} are allowed`);
    }
  }

  /** A DNS-1123 label (namespaces, and names that become label values), at most `max` characters. */
  public dnsLabel(field: string, value: string | undefined, max = 63): void {
    if (value === undefined) return;
    if (!DNS_LABEL.test(value)) {
      this.add(`${field} ${q(value)} is not a DNS-1123 label: use lowercase letters, digits and '-', starting and ending with a letter or digit, e.g. ${q(suggestName(value).replace(/\./g, '-'))}`);
    } else if (value.length > max) {
      this.add(`${field} ${q(value)} is ${value.length} characters long; at most ${max} are allowed`);
    }
  }

  /** A Go duration (`interval`, `retryInterval`, reconciler `timeout`); sources' `timeout` allows no hours. */
  public duration(field: string, value: FluxDuration | undefined, opts: { hours?: boolean } = {}): void {
    if (value === undefined) return;
    const hours = opts.hours ?? true;
    if (value instanceof Duration) {
      const ms = value.toMilliseconds({ integral: false });
      if (!(ms > 0)) this.add(`${field} ${renderDuration(value)} must be longer than zero`);
      else if (!hours && ms >= 3_600_000) this.add(`${field} ${renderDuration(value)} must be under an hour: Flux accepts no hours here; use minutes, e.g. "${Math.round(ms / 60_000)}m"`);
      return;
    }
    const pattern = hours ? GO_DURATION : GO_DURATION_NO_HOURS;
    if (typeof value !== 'string' || !pattern.test(value)) {
      const units = hours ? 'ms, s, m or h' : 'ms, s or m (no hours here)';
      this.add(`${field} ${q(value)} is not a Go duration; use a number and a unit (${units}), e.g. "5m" or "1m30s", or Duration.minutes(5)`);
    }
  }

  /** A URL with one of the given schemes. */
  public url(field: string, value: string | undefined, schemes: readonly string[]): void {
    if (value === undefined) return;
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1]?.toLowerCase();
    if (!scheme || !schemes.includes(scheme)) {
      this.add(`${field} ${q(value)} must start with ${schemes.map((s) => `${s}://`).join(' or ')}`);
    }
  }

  /** An OCI repository URL: `oci://host/path`, without a tag or digest (those go in `ref`). */
  public ociUrl(field: string, value: string | undefined, refField = 'ref'): void {
    if (value === undefined) return;
    if (!value.startsWith('oci://')) {
      this.add(`${field} ${q(value)} must start with oci:// (e.g. "oci://ghcr.io/acme/manifests")`);
      return;
    }
    const rest = value.slice('oci://'.length);
    const at = rest.indexOf('@');
    const lastSegment = rest.slice(rest.lastIndexOf('/') + 1);
    if (at >= 0) {
      this.add(`${field} ${q(value)} carries a digest; drop "${rest.slice(at)}" from the URL and set ${refField}.digest instead`);
    } else if (rest.indexOf('/') > 0 && lastSegment.includes(':')) {
      const tag = lastSegment.slice(lastSegment.indexOf(':') + 1);
      this.add(`${field} ${q(value)} carries a tag; drop ":${tag}" from the URL and set ${refField}.tag to "${tag}" instead`);
    } else if (rest.indexOf('/') <= 0) {
      this.add(`${field} ${q(value)} names no repository; use oci://<registry>/<repository>`);
    }
  }

  /** A semver range in the Masterminds syntax Flux uses (`6.x`, `>=1.2.0 <2.0.0`, `^1.4`, `1.2 - 1.4`). */
  public semverRange(field: string, value: string | undefined): void {
    if (value === undefined) return;
    if (!isSemverRange(value)) {
      this.add(`${field} ${q(value)} is not a semver range; use e.g. "6.x", ">=1.2.0 <2.0.0", "^1.4" or "~1.4.2" (add "-0" to match pre-releases, e.g. ">=1.0.0-0")`);
    }
  }

  /** A path inside an artifact: relative, and never climbing out of it with `..`. */
  public relativePath(field: string, value: string | undefined): void {
    if (value === undefined) return;
    if (value.startsWith('/')) {
      this.add(`${field} ${q(value)} is absolute; paths are relative to the artifact root, e.g. ${q('./' + value.replace(/^\/+/, ''))}`);
    } else if (value.split(/[\\/]/).includes('..')) {
      this.add(`${field} ${q(value)} climbs out of the artifact with ".."; Flux clamps it to the root, so name a folder inside the artifact instead`);
    } else if (value.trim() === '') {
      this.add(`${field} is empty; use "./" for the artifact root`);
    }
  }

  /** A postBuild substitution variable name. */
  public variableName(field: string, value: string): void {
    if (!VARIABLE_NAME.test(value)) {
      this.add(`${field} ${q(value)} is not a valid substitution variable name: start with a letter or '_', then letters, digits or '_', e.g. ${q(value.replace(/[^A-Za-z0-9_]/g, '_').replace(/^([0-9])/, '_$1'))}`);
    }
  }

  /**
   * A regular expression in Go's RE2 syntax, which Flux's controllers use: named groups `(?P<name>...)` and leading
   * flags `(?i)` are accepted. Returns the compiled expression, or undefined when there is none or it does not compile.
   */
  public regex(field: string, value: string | undefined): RegExp | undefined {
    if (value === undefined) return undefined;
    let source = value.replace(/\(\?P</g, '(?<');
    let flags = '';
    const leading = /^\(\?([imsU]+)\)/.exec(source);
    if (leading) {
      flags = [...new Set(leading[1].replace(/U/g, '').split(''))].join('');
      source = source.slice(leading[0].length);
    }
    try {
      return new RegExp(source, flags);
    } catch (e) {
      this.add(`${field} ${q(value)} is not a valid regular expression: ${(e as Error).message}`);
      return undefined;
    }
  }

  /** A CEL expression Flux evaluates on an object (health checks, readiness): it must parse. */
  public celExpression(field: string, value: string | undefined): void {
    if (value === undefined) return;
    if (value.trim() === '') {
      this.add(`${field} is empty; give a CEL expression, e.g. "status.conditions.filter(c, c.type == 'Ready').all(c, c.status == 'True')"`);
      return;
    }
    try {
      CEL_SYNTAX.parse(value);
    } catch (e) {
      this.add(`${field} ${q(value)} is not a CEL expression: ${(e as Error).message.split('\n')[0]}`);
    }
  }

  /** A string at most `max` characters long. */
  public maxLength(field: string, value: string | undefined, max: number): void {
    if (value !== undefined && value.length > max) {
      this.add(`${field} ${q(value)} is ${value.length} characters long; at most ${max} are allowed`);
    }
  }

  /** One of the allowed values. */
  public oneOf(field: string, value: string | undefined, allowed: readonly string[]): void {
    if (value !== undefined && !allowed.includes(value)) {
      this.add(`${field} ${q(value)} is not allowed; use one of ${allowed.map((a) => q(a)).join(', ')}`);
    }
  }

  /** At most one of the named fields is set. */
  public atMostOne(fields: Record<string, unknown>): void {
    const set = Object.entries(fields).filter(([, v]) => v !== undefined).map(([k]) => k);
    if (set.length > 1) this.add(`${set.join(' and ')} are mutually exclusive; set only one`);
  }

  /** Exactly one of the named fields is set. */
  public exactlyOne(fields: Record<string, unknown>): void {
    const set = Object.entries(fields).filter(([, v]) => v !== undefined).map(([k]) => k);
    if (set.length !== 1) this.add(`set exactly one of ${Object.keys(fields).join(' or ')} (got ${set.length === 0 ? 'none' : set.join(' and ')})`);
  }
}

/** Quotes a value for a message. */
export function q(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const GO_DURATION = /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/;
const GO_DURATION_NO_HOURS = /^([0-9]+(\.[0-9]+)?(ms|s|m))+$/;
const VARIABLE_NAME = /^[_a-zA-Z][_a-zA-Z0-9]*$/;

/** A DNS-1123 name close to the given one, for error messages. */
export function suggestName(value: string): string {
  const s = String(value)
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return s === '' ? 'my-object' : s;
}

/** Whether a string is a valid postBuild substitution variable name. */
export function isVariableName(value: string): boolean {
  return VARIABLE_NAME.test(value);
}

/** Whether a string is a valid DNS-1123 label. */
export function isDnsLabel(value: string): boolean {
  return DNS_LABEL.test(value) && value.length <= 63;
}

const VERSION = /^v?(0|[1-9][0-9]*|[xX*])(\.(0|[1-9][0-9]*|[xX*])){0,2}(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;
const OPERATOR = /^(=|!=|>=|=>|<=|=<|>|<|~>|~|\^)?\s*/;

/** Whether a string is a constraint in the Masterminds semver syntax that Flux's controllers parse. */
export function isSemverRange(value: string): boolean {
  if (typeof value !== 'string' || value.trim() === '') return false;
  return value.split('||').every((alternative) => {
    const text = alternative.trim();
    if (text === '') return false;
    const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(text);
    if (hyphen) return VERSION.test(hyphen[1]) && VERSION.test(hyphen[2]);
    // Constraints are joined by commas or spaces; an operator may be followed by spaces.
    const parts = text.replace(/(=|!=|>=|=>|<=|=<|>|<|~>|~|\^)\s+/g, '$1').split(/[\s,]+/).filter((p) => p !== '');
    return parts.length > 0 && parts.every((part) => {
      const version = part.replace(OPERATOR, '');
      return version !== '' && VERSION.test(version);
    });
  });
}
