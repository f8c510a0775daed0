import { IFluxObject } from '../core/flux-object.js';

/** A HelmRelease, as other objects may reference it. */
export interface IHelmRelease extends IFluxObject {
  readonly kind: 'HelmRelease';
}
