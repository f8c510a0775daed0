import { FLUX_2_9_MODEL } from './flux-2.9-model.js';
import type { FluxSchemaModel } from './schema-model.js';

/**
 * The kinds Flux 2.10 serves. Its CRDs were not available when the schemas were generated: these are Flux v2.9.4's,
 * with the one change the v2.10.0 release notes name for these kinds, Alert and Provider served as
 * `notification.toolkit.fluxcd.io/v1` (promoted from v1beta3 with the same fields). Regenerate from the v2.10 CRDs
 * (scripts/generate-flux-schemas.ts) once a Flux Operator release that embeds them is pinned.
 */
export const FLUX_2_10_MODEL: FluxSchemaModel = {
  ...FLUX_2_9_MODEL,
  minor: '2.10',
  release: `${FLUX_2_9_MODEL.release} (derived)`,
  derived: 'The Flux v2.10 CRDs were not available when this data was generated; these are the v2.9.4 CRDs with the change the '
    + 'v2.10.0 release notes name for these kinds: Alert and Provider served as notification.toolkit.fluxcd.io/v1 (promoted '
    + 'from v1beta3 with the same fields).',
  kinds: FLUX_2_9_MODEL.kinds.map((k) => (k.group === 'notification.toolkit.fluxcd.io' && (k.kind === 'Alert' || k.kind === 'Provider')
    ? { ...k, version: 'v1' }
    : k)),
};
