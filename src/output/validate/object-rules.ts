import { isRecord, TreeObject } from './tree.js';
import { ALLOW_INSECURE_ANNOTATION } from '../../flux/core/api.js';
import type { FluxMinor } from '../../flux/core/flux-version.js';
import { Checks, q } from '../../flux/core/rules.js';
import { unreportedSchemaMessages } from '../../flux/core/schema.js';
import { checkFluxSchema, isFluxGroup } from '../../flux/schema-registry.js';


/**
 * The checks of one object on its own: the schema of its kind in the Flux minor its cluster runs (and whether that
 * minor serves its API version), the rules Flux's controllers enforce on field values, plain-HTTP registries without the opt-in, and
 * Secrets committed in plain text.
 */
export function checkObject(o: TreeObject, fluxMinor?: FluxMinor): string[] {
  const errors: string[] = [];
  if (o.group === '' && o.kind === 'Secret') errors.push(...checkSecret(o.raw));
  if (!isFluxGroup(o.group)) return errors;
  const c = new Checks();
  const spec = isRecord(o.raw.spec) ? o.raw.spec : {};
  c.dnsName('metadata.name', o.name, o.kind === 'Kustomization' ? 63 : 253);
  const rule = FIELD_RULES[`${o.group}/${o.kind}`];
  if (rule) rule(c, spec, o);
  return [...errors, ...unreportedSchemaMessages(checkFluxSchema(o.raw, { fluxMinor }), c.errors), ...c.errors.map(forYaml)];
}

/** A Checks message for a YAML field: the hints at TypeScript values (`Duration.minutes(5)`) left out. */
function forYaml(message: string): string {
  return message.replace(/,? or Duration\.\w+\([0-9.]*\)/g, '');
}

type FieldRule = (c: Checks, spec: Record<string, unknown>, o: TreeObject) => void;

const SOURCE = 'source.toolkit.fluxcd.io';

/** The field rules of each Flux kind, keyed by `group/kind`. */
const FIELD_RULES: Record<string, FieldRule> = {
  [`${SOURCE}/OCIRepository`]: (c, spec, o) => {
    sourceTimings(c, spec);
    if (spec.url !== undefined) c.ociUrl('spec.url', String(spec.url), 'spec.ref');
    c.semverRange('spec.ref.semver', str(obj(spec.ref).semver));
    insecure(c, spec, o);
  },
  [`${SOURCE}/HelmRepository`]: (c, spec, o) => {
    sourceTimings(c, spec);
    if (spec.url !== undefined) c.url('spec.url', String(spec.url), ['http', 'https', 'oci']);
    insecure(c, spec, o);
  },
  [`${SOURCE}/GitRepository`]: (c, spec) => {
    sourceTimings(c, spec);
    if (spec.url !== undefined) c.url('spec.url', String(spec.url), ['http', 'https', 'ssh']);
    c.semverRange('spec.ref.semver', str(obj(spec.ref).semver));
  },
  [`${SOURCE}/Bucket`]: sourceTimings,
  [`${SOURCE}/HelmChart`]: (c, spec) => {
    sourceTimings(c, spec);
    if (str(spec.version) !== '*') c.semverRange('spec.version', str(spec.version));
  },
  ['kustomize.toolkit.fluxcd.io/Kustomization']: (c, spec) => {
    c.duration('spec.interval', duration(spec.interval));
    c.duration('spec.retryInterval', duration(spec.retryInterval));
    c.duration('spec.timeout', duration(spec.timeout));
    if (spec.path !== undefined) c.relativePath('spec.path', String(spec.path));
    list(spec.components).forEach((comp, i) => c.relativePath(`spec.components[${i}]`, String(comp)));
    for (const name of Object.keys(obj(obj(spec.postBuild).substitute))) c.variableName(`spec.postBuild.substitute.${name}`, name);
    c.dnsLabel('spec.targetNamespace', str(spec.targetNamespace));
  },
  ['helm.toolkit.fluxcd.io/HelmRelease']: (c, spec) => {
    c.duration('spec.interval', duration(spec.interval));
    c.duration('spec.timeout', duration(spec.timeout));
    for (const action of ['install', 'upgrade', 'test', 'rollback', 'uninstall']) {
      c.duration(`spec.${action}.timeout`, duration(obj(spec[action]).timeout));
    }
    const chart = obj(obj(spec.chart).spec);
    c.duration('spec.chart.spec.interval', duration(chart.interval));
    if (str(chart.version) !== '*') c.semverRange('spec.chart.spec.version', str(chart.version));
    c.dnsName('spec.releaseName', str(spec.releaseName), 53);
    c.dnsLabel('spec.targetNamespace', str(spec.targetNamespace));
    c.dnsLabel('spec.storageNamespace', str(spec.storageNamespace));
  },
  ['notification.toolkit.fluxcd.io/Provider']: (c, spec) => {
    c.duration('spec.timeout', duration(spec.timeout), { hours: false });
  },
  ['notification.toolkit.fluxcd.io/Receiver']: (c, spec) => {
    c.duration('spec.interval', duration(spec.interval));
  },
  ['image.toolkit.fluxcd.io/ImageRepository']: (c, spec) => {
    c.duration('spec.interval', duration(spec.interval));
    c.duration('spec.timeout', duration(spec.timeout), { hours: false });
  },
  ['image.toolkit.fluxcd.io/ImagePolicy']: (c, spec) => {
    c.duration('spec.interval', duration(spec.interval));
    c.semverRange('spec.policy.semver.range', str(obj(obj(spec.policy).semver).range));
  },
  ['image.toolkit.fluxcd.io/ImageUpdateAutomation']: (c, spec) => {
    c.duration('spec.interval', duration(spec.interval));
    if (obj(spec.update).path !== undefined) c.relativePath('spec.update.path', String(obj(spec.update).path));
  },
  ['fluxcd.controlplane.io/FluxInstance']: (c, spec) => {
    const sync = obj(spec.sync);
    c.duration('spec.sync.interval', duration(sync.interval));
    if (sync.path !== undefined) c.relativePath('spec.sync.path', String(sync.path));
  },
};

/** A source's `interval`, and its `timeout`, which allows no hours. */
function sourceTimings(c: Checks, spec: Record<string, unknown>): void {
  c.duration('spec.interval', duration(spec.interval));
  c.duration('spec.timeout', duration(spec.timeout), { hours: false });
}

/** Plain HTTP to a registry only with the opt-in annotation. */
function insecure(c: Checks, spec: Record<string, unknown>, o: TreeObject): void {
  if (spec.insecure !== true) return;
  const annotations = obj(obj(o.raw.metadata).annotations);
  if (annotations[ALLOW_INSECURE_ANNOTATION] === 'true') return;
  c.add(`spec.insecure is true, so the registry is reached over plain HTTP, unencrypted and unauthenticated; serve it over HTTPS and drop spec.insecure, or, if plain HTTP is intended (a registry on a private network), annotate the object with ${ALLOW_INSECURE_ANNOTATION}: "true"`);
}

/** A Secret with data in the tree is refused unless SOPS encrypted it. */
function checkSecret(raw: Record<string, unknown>): string[] {
  if (raw.sops !== undefined || isPublicMaterial(raw)) return [];
  const fields = ['data', 'stringData'].filter((f) => isRecord(raw[f]) && Object.keys(raw[f] as object).length > 0);
  if (fields.length === 0) return [];
  const keys = fields.flatMap((f) => Object.keys(raw[f] as object));
  return [`Secret holds plaintext values in ${fields.join(' and ')} (keys ${keys.map((k) => q(k)).join(', ')}), committed to the repository; use a SOPS-encrypted Secret (sops --encrypt, decrypted by spec.decryption of the Kustomization that applies it) or an external secret store, and rotate the exposed values`];
}

/**
 * A Secret that holds only public verification material, as flux-fleet writes it for `verify.secretRef` and
 * `verify.trustedRootSecretRef`: every entry a PEM public key (`*.pub`) or a Sigstore trusted root (`trusted_root.json`).
 */
function isPublicMaterial(raw: Record<string, unknown>): boolean {
  const entries = Object.entries(obj(raw.stringData));
  if (isRecord(raw.data) && Object.keys(raw.data).length > 0) return false;
  return entries.length > 0 && entries.every(([k, v]) => typeof v === 'string' && (
    (k.endsWith('.pub') && /^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+-----END PUBLIC KEY-----\n?$/.test(v))
    || (k === 'trusted_root.json' && /^\s*\{\s*"mediaType"\s*:\s*"application\/vnd\.dev\.sigstore\.trustedroot/.test(v) && !/PRIVATE KEY/.test(v))));
}

/** A mapping field, or an empty one. */
function obj(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function str(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : String(value);
}

/** A raw duration field as Checks.duration takes it; a number (`interval: 5`) stays a number so it is refused. */
function duration(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : value as string;
}
