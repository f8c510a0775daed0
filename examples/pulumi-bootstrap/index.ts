import { readFileSync } from 'node:fs';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { buildFleet } from '../fleet/app.js';
import { FluxApp } from 'flux-fleet';
import { FluxBootstrap } from 'flux-fleet/pulumi';

// Bootstraps Flux on one cluster of the example fleet (examples/fleet), declared once for the cdk8s app that
// synthesizes the config repo and for this program. Nothing here writes to the config repo.
const config = new pulumi.Config();

// The cluster to bootstrap; stg-eu-1 unless `pulumi config set cluster <name>`.
const cluster = config.get('cluster') ?? 'stg-eu-1';

// Its kubeconfig: `pulumi config set --secret kubeconfig "$(cat kubeconfig.yaml)"`, else the file $KUBECONFIG names.
// A program that creates the cluster would pass the cluster's own kubeconfig output here instead.
const kubeconfig = config.getSecret('kubeconfig') ?? pulumi.secret(readKubeconfig(process.env.KUBECONFIG));
const provider = new k8s.Provider('cluster', { kubeconfig });

// The fleet is a construct tree: any root will do, nothing is synthesized.
const fleet = buildFleet(new FluxApp());

// The example fleet reads from ECR with the cluster's AWS identity, so no pull secret. With Registry.ghcr() or a
// generic registry with a pull secret, pass its content too: `pullSecret: config.requireSecret('pullSecret')`.
const flux = new FluxBootstrap('flux', { fleet, cluster }, { provider });

export const clusterName = flux.clusterName;
export const syncUrl = flux.syncUrl;
export const syncTag = flux.syncTag;

function readKubeconfig(path: string | undefined): string {
  if (path === undefined || path === '') {
    throw new Error('No kubeconfig: run `pulumi config set --secret kubeconfig "$(cat <file>)"`, or set KUBECONFIG to the file of the cluster to bootstrap');
  }
  return readFileSync(path, 'utf8');
}
