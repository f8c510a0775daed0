import { IFluxObject } from '../core/flux-object.js';

/** A ImageUpdateAutomation, as other objects may reference it. */
export interface IImageUpdateAutomation extends IFluxObject {
  readonly kind: 'ImageUpdateAutomation';
}
