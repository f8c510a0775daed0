import { IFluxObject } from '../core/flux-object.js';

/** A Bucket, as other objects may reference it. */
export interface IBucket extends IFluxObject {
  readonly kind: 'Bucket';
}
