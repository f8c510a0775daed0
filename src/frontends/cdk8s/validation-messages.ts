import { ApiObject } from 'cdk8s';
import type { IConstruct } from 'constructs';
import { Fleet } from '../../fleet/fleet.js';
import { ClusterScope } from '../../flux/core/object-index.js';
import { RenderSession } from '../../flux/core/render-session.js';
import { allowedLiteralValues, findObjectSecrets, literalSecretMessage } from '../../flux/core/secrets.js';

/** A validation error of one construct. */
export interface ValidationMessage {
  /** The construct's path, e.g. `app/chart/podinfo`. */
  readonly path: string;
  /** What is wrong, the value received and the fix. */
  readonly message: string;
  /**
   * The cluster whose objects the construct belongs to (its nearest {@link ClusterScope}, e.g. a fleet's cluster).
   * @default - none: the construct is outside every cluster
   */
  readonly cluster?: string;
  /**
   * The construct's path with the cluster as `<cluster>` (`acme/<cluster>/podinfo/podinfo`): the same mistake made on
   * every cluster (one component, built per cluster) has the same `where` and is reported once.
   * @default - the path
   */
  readonly where?: string;
}

/** Runs the validations of each construct, in the order given, and the check of ConfigMaps for literal credentials. */
export function validationErrorsOf(constructs: Iterable<IConstruct>): ValidationMessage[] {
  const errors: ValidationMessage[] = [];
  for (const c of constructs) {
    const messages = c.node.validate();
    // ConfigMaps are written as they are: a literal credential in one is caught here.
    if (ApiObject.isApiObject(c) && c.kind === 'ConfigMap' && c.apiVersion === 'v1') {
      for (const found of findObjectSecrets(RenderSession.toJson(c), allowedLiteralValues(c))) {
        messages.push(literalSecretMessage(found, 'keep it in a Secret on the cluster instead'));
      }
    }
    if (messages.length === 0) continue;
    const cluster = [...c.node.scopes].reverse().find((s) => ClusterScope.isClusterScope(s));
    const where = cluster ? wherePath(c, cluster) : c.node.path;
    for (const message of messages) {
      errors.push(cluster ? { path: c.node.path, message, cluster: cluster.node.id, where } : { path: c.node.path, message });
    }
  }
  return errors;
}

/**
 * The path of `c` with its cluster as `<cluster>`: `<fleet>/<cluster>/<path in the cluster>` for a fleet's cluster
 * (whatever its environment), `<parent>/<cluster>/<path in the cluster>` for another ClusterScope.
 */
function wherePath(c: IConstruct, cluster: IConstruct): string {
  const fleet = [...cluster.node.scopes].reverse().find((s) => Fleet.isFleet(s));
  const base = (fleet ?? cluster.node.scope)?.node.path ?? '';
  const inside = c.node.path.slice(cluster.node.path.length).replace(/^\//, '');
  return [base, '<cluster>', inside].filter((x) => x !== '').join('/');
}
