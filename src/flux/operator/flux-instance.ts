import { IFluxObject } from '../core/flux-object.js';

/** A FluxInstance, as other objects may reference it. */
export interface IFluxInstance extends IFluxObject {
  readonly kind: 'FluxInstance';
}
