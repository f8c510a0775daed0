import { IFluxObject } from '../core/flux-object.js';

/** A Alert, as other objects may reference it. */
export interface IAlert extends IFluxObject {
  readonly kind: 'Alert';
}
