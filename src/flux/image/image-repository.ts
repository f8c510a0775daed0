import { IFluxObject } from '../core/flux-object.js';

/** A ImageRepository, as other objects may reference it. */
export interface IImageRepository extends IFluxObject {
  readonly kind: 'ImageRepository';
}
