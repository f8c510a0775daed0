import { IFluxObject } from '../core/flux-object.js';

/** A HelmRepository, as other objects may reference it. */
export interface IHelmRepository extends IFluxObject {
  readonly kind: 'HelmRepository';
}
