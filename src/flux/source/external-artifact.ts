import { IFluxObject } from '../core/flux-object.js';

/** A ExternalArtifact, as other objects may reference it. */
export interface IExternalArtifact extends IFluxObject {
  readonly kind: 'ExternalArtifact';
}
