import { IFluxObject } from '../core/flux-object.js';

/** A Provider, as other objects may reference it. */
export interface IProvider extends IFluxObject {
  readonly kind: 'Provider';
}
