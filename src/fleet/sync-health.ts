import { API_VERSION } from '../flux/core/api.js';
import type { HealthCheckExpression } from '../flux/kustomize/kustomization.js';

/**
 * The annotation on a component's Kustomization that carries the digest its source is pinned to, on clusters whose
 * sync health-checks their components: the sync then counts the component ready only once it applied that digest.
 */
export const SOURCE_DIGEST_ANNOTATION = 'flux-fleet.io/source-digest';

/** The annotation's digest, when the Kustomization has one, as CEL over the object's `metadata`. */
const PINNED = `has(metadata.annotations) && '${SOURCE_DIGEST_ANNOTATION}' in metadata.annotations`;
const DIGEST = `metadata.annotations['${SOURCE_DIGEST_ANNOTATION}']`;
const condition = (type: string, status: string) => `has(status.conditions) && status.conditions.exists(c, c.type == '${type}' && c.status == '${status}')`;

/**
 * How a cluster's sync judges the health of its components' Kustomizations (its `healthCheckExprs`).
 *
 * Without it, kustomize-controller reads a Kustomization as kstatus does: Ready means healthy. But when a component's
 * pinned digest changes, the sync applies the new source and health-checks at once, while the component's
 * Kustomization is still Ready at the old revision until it reconciles the new artifact: the sync would pass, and
 * report the commit healthy, before the component runs it. These expressions read Flux's conditions as kstatus does
 * (Reconciling: in progress; Stalled: failed; Ready: current), and add, for a Kustomization annotated with
 * {@link SOURCE_DIGEST_ANNOTATION}: current only once `status.lastAppliedRevision` ends with that digest, failed only
 * once the failed attempt was of it (`status.lastAttemptedRevision`). A Kustomization with no status yet is in
 * progress (kstatus would call it current). Flux evaluates them after its own check that `status.observedGeneration`
 * is `metadata.generation`.
 */
export const COMPONENT_HEALTH_CHECK: HealthCheckExpression = {
  apiVersion: API_VERSION.kustomize,
  kind: 'Kustomization',
  inProgress: condition('Reconciling', 'True'),
  failed: `${condition('Stalled', 'True')} && (!(${PINNED}) || (has(status.lastAttemptedRevision) && status.lastAttemptedRevision.endsWith(${DIGEST})))`,
  current: `${condition('Ready', 'True')} && (!(${PINNED}) || (has(status.lastAppliedRevision) && status.lastAppliedRevision.endsWith(${DIGEST})))`,
};
