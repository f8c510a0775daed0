import { IFluxObject } from '../core/flux-object.js';

/** A Receiver, as other objects may reference it. */
export interface IReceiver extends IFluxObject {
  readonly kind: 'Receiver';
}
