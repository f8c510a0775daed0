import { IFluxObject } from '../core/flux-object.js';

/** A HelmChart, as other objects may reference it. */
export interface IHelmChart extends IFluxObject {
  readonly kind: 'HelmChart';
}
