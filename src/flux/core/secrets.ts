import type { IConstruct } from 'constructs';

/** A literal credential found in a value that would be written to the config repo. */
export interface LiteralSecret {
  /** Where, e.g. `values.db.password` or `env[0].value`. */
  readonly path: string;
  /** Why it looks like a credential, e.g. `a private key` or `a password-like key`. */
  readonly reason: string;
}

/** The last word of a key that makes it a credential: `dbPassword`, `DB_PASS`, `bearer-token`, `auth`. */
const SECRET_WORDS = new Set(['password', 'passwd', 'pwd', 'pass', 'passphrase', 'secret', 'token', 'auth', 'credential', 'credentials', 'apikey']);
/** With `key` as the last word, the words that make it a credential: `secretAccessKey`, `api_key`, `privateKey`. */
const SECRET_KEY_QUALIFIERS = new Set(['secret', 'private', 'api']);
/** Endings of keys written in one lowercase word: `dbpassword`, `adminpasswd`. */
const SECRET_ENDINGS = /(?:password|passwd|passphrase|apikey|secretkey|privatekey|secretaccesskey)$/;

/** Values that are placeholders filled in later, not credentials. */
const PLACEHOLDER = /^(?:\$\{[^}]*\}|\{\{.*\}\}|<<.*>>|\$\([^)]*\)|[*x]+|changeme|redacted|true|false|yes|no|none|null|enabled|disabled)$/i;

/** Values that are credentials wherever they stand. */
const SECRET_VALUES: ReadonlyArray<[RegExp, string]> = [
  [/-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----/, 'a private key'],
  [/\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:([^\s/@$]|\$(?!\{))[^\s/@]*@/i, 'a URL with a password'],
  [/https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\//, 'a Slack webhook URL'],
  [/https:\/\/(?:discord(?:app)?\.com)\/api\/webhooks\//, 'a Discord webhook URL'],
  [/https:\/\/[a-z0-9.-]*webhook\.office\.com\//i, 'a Microsoft Teams webhook URL'],
  [/https:\/\/chat\.googleapis\.com\/v1\/spaces\/[^?\s]+\?[^\s]*key=/, 'a Google Chat webhook URL'],
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/, 'an AWS access key id'],
  [/\bgh[pousr]_[A-Za-z0-9]{36,}\b|\bgithub_pat_[A-Za-z0-9_]{22,}\b/, 'a GitHub token'],
  [/\bglpat-[A-Za-z0-9_-]{20,}\b/, 'a GitLab token'],
  [/\bxox[abposr]-[A-Za-z0-9-]{10,}\b/, 'a Slack token'],
  [/\bsk_live_[A-Za-z0-9]{16,}\b/, 'a Stripe secret key'],
];

/** The paths allowed per construct, by {@link allowLiteralValues}. */
const allowed = new WeakMap<IConstruct, string[]>();
/** Objects whose values a fleet component has checked already. */
const checkedElsewhere = new WeakSet<IConstruct>();

/**
 * Declares that values found at these paths of a construct (and of the constructs under it) are not credentials,
 * though they look like ones: the explicit opt-out for a false positive of the literal-secret check. Give the path as
 * the error names it, e.g. `spec.values.auth.tokenTTL`, `values.ui.password`, `substitute.DB_PASSWORD_POLICY` or
 * `data.passwordHint`; a path also allows everything under it.
 */
export function allowLiteralValues(scope: IConstruct, ...paths: string[]): void {
  allowed.set(scope, [...(allowed.get(scope) ?? []), ...paths]);
}

/** The paths allowed on a construct itself by {@link allowLiteralValues}, in the order given. @internal */
export function literalValuesAllowedOn(construct: IConstruct): readonly string[] {
  return allowed.get(construct) ?? [];
}

/** The paths allowed for a construct: its own and those of its scopes. @internal */
export function allowedLiteralValues(construct: IConstruct): string[] {
  return construct.node.scopes.flatMap((s) => allowed.get(s) ?? []);
}

/** Marks an object whose values were checked where it was built, so the object's own check skips them. @internal */
export function markSecretsChecked(construct: IConstruct): void {
  checkedElsewhere.add(construct);
}

/** Whether an object's values were checked where it was built. @internal */
export function secretsCheckedElsewhere(construct: IConstruct): boolean {
  return checkedElsewhere.has(construct);
}

/**
 * Whether a key (a Helm value's, a substitution variable's, a ConfigMap entry's) names a credential, by its last
 * word in camelCase, snake_case, kebab-case or SCREAMING_CASE: password, passwd, pwd, pass, passphrase, secret,
 * token, auth, credentials, api key, private key, secret (access) key. Keys naming where a credential is kept
 * (`existingSecret`, `passwordSecretRef`, `tokenFile`) are not credentials.
 */
export function isSecretKey(key: string): boolean {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/).filter((w) => w !== '');
  if (words.length === 0 || words[0] === 'existing') return false;
  const last = words[words.length - 1];
  if (SECRET_WORDS.has(last)) return true;
  if (last === 'key' && words.slice(0, -1).some((w) => SECRET_KEY_QUALIFIERS.has(w))) return true;
  return words.length === 1 && SECRET_ENDINGS.test(last);
}

/** Why a string value is a credential wherever it stands, or undefined. */
export function secretValueReason(value: string): string | undefined {
  return SECRET_VALUES.find(([re]) => re.test(value))?.[1];
}

/**
 * The literal credentials in a value that would be written in plain text: scalar values (strings and numbers) under
 * credential-like keys (`password`, `dbPassword`, `DB_PASS`, `aws_secret_access_key`, `auth`...), the `value` of
 * `{ name, value }` pairs whose name is credential-like (container `env`), and values that are credentials whatever
 * their key (private keys, URLs with a password, webhook URLs, well-known token formats). Placeholders (`${VAR}`,
 * `{{ .Values.x }}`) and empty values are not credentials; nor is anything at or under an allowed path.
 * @param path the path of `value`, e.g. `values`
 * @param allow paths known not to hold credentials
 */
export function findLiteralSecrets(value: unknown, path: string, allow: readonly string[] = []): LiteralSecret[] {
  const found: LiteralSecret[] = [];
  const isAllowed = (p: string) => allow.some((a) => p === a || p.startsWith(`${a}.`) || p.startsWith(`${a}[`));
  const scalar = (v: unknown): v is string | number => (typeof v === 'string' && v.trim() !== '' && !PLACEHOLDER.test(v.trim())) || typeof v === 'number';
  const walk = (v: unknown, here: string, key: string | undefined) => {
    if (isAllowed(here)) return;
    if (typeof v === 'string') {
      const reason = secretValueReason(v);
      if (reason) return void found.push({ path: here, reason });
    }
    if (key !== undefined && scalar(v) && isSecretKey(key)) return void found.push({ path: here, reason: `a literal value under the credential-like key "${key}"` });
    if (Array.isArray(v)) return v.forEach((item, i) => walk(item, `${here}[${i}]`, undefined));
    if (v === null || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    if (typeof o.name === 'string' && isSecretKey(o.name) && scalar(o.value) && !isAllowed(`${here}.value`)) {
      found.push({ path: `${here}.value`, reason: `a literal value for the credential-like name "${o.name}"` });
    }
    for (const [k, child] of Object.entries(o)) {
      if (k === 'value' && typeof o.name === 'string' && isSecretKey(o.name)) continue;
      walk(child, `${here}.${k}`, k);
    }
  };
  walk(value, path, undefined);
  return found;
}

/**
 * The literal credentials in a rendered object, where Kubernetes and Flux objects carry free-form values into the
 * config repo: a HelmRelease's `spec.values`, a Kustomization's `spec.postBuild.substitute`, a ConfigMap's `data`.
 */
export function findObjectSecrets(json: Readonly<Record<string, any>>, allow: readonly string[] = []): LiteralSecret[] {
  switch (json.kind) {
    case 'HelmRelease':
      return json.spec?.values !== undefined ? findLiteralSecrets(json.spec.values, 'spec.values', allow) : [];
    case 'Kustomization':
      return json.spec?.postBuild?.substitute !== undefined ? findLiteralSecrets(json.spec.postBuild.substitute, 'spec.postBuild.substitute', allow) : [];
    case 'ConfigMap':
      return json.data !== undefined ? findLiteralSecrets(json.data, 'data', allow) : [];
    default:
      return [];
  }
}

/** The error for a literal credential found in an object. */
export function literalSecretMessage(found: LiteralSecret, fix: string): string {
  return `${found.path} holds ${found.reason}, which would be written to the config repo in plain text; ${fix}, ` +
    `or declare allowLiteralValues(<construct>, "${found.path}") if it is not a credential`;
}
