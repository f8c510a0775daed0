import { IFluxObject } from '../core/flux-object.js';

/** A ResourceSet, as other objects may reference it. */
export interface IResourceSet extends IFluxObject {
  readonly kind: 'ResourceSet';
}
