import { IFluxObject } from '../core/flux-object.js';

/** A GitRepository, as other objects may reference it. */
export interface IGitRepository extends IFluxObject {
  readonly kind: 'GitRepository';
}
