import { IFluxObject } from '../core/flux-object.js';

/** A ImagePolicy, as other objects may reference it. */
export interface IImagePolicy extends IFluxObject {
  readonly kind: 'ImagePolicy';
}
