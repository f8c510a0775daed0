import { fileURLToPath } from 'node:url';
import type { Construct } from 'constructs';
import {
  Bootstrap, ChartSource, ComponentSource, Fleet, FluxApp, HealthReport, Notification, Registry, Signing,
} from 'flux-fleet';

/** The variables every cluster of the fleet carries; a misspelled one is a compile error. */
interface AcmeVars {
  /** The cluster's public DNS zone. */
  readonly domain: string;
  /** How many replicas the web tier runs. */
  readonly replicas: number;
}

/** The web team's cosign.pub (flux-fleet keygen): public, so it lives in the fleet program. */
const TEAM_WEB_PUBLIC_KEY = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE/V9/BKF79M888HE9c22H8mgxV9n2
4zPq+FUOEn3cMGeshw2KsiqOkvFtGwp6VbNflzjvy/+XW7IgvMBUDSsP9g==
-----END PUBLIC KEY-----
`;

/** The fleet's release key's cosign.pub (flux-fleet keygen): staging verifies what the release workflow signs on main. */
const FLEET_PUBLIC_KEY = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEblbHQKXX3IVDbSLQ4p8c0e2Nv0zS
TwLFoK6BZKjpproYUL98SC4ApixLLJg3UijLCiwP/LoQ3sphqVRPBO0sOA==
-----END PUBLIC KEY-----
`;

/** What may differ between copies of the fleet: a test's own keys, or the CI system the release pipeline runs on. */
export interface AcmeOptions {
  /** The fleet's release key's cosign.pub, which staging verifies. @default FLEET_PUBLIC_KEY */
  readonly fleetKey?: string;
  /** The web team's cosign.pub. @default TEAM_WEB_PUBLIC_KEY */
  readonly teamWebKey?: string;
  /**
   * Where the release pipeline runs, whose keyless identity on `v*` tags production verifies: GitHub Actions
   * (`release.yaml` of acme/fleet) or GitLab CI (`.gitlab-ci.yml` of acme/fleet on gitlab.com).
   * @default "github"
   */
  readonly releaseCi?: 'github' | 'gitlab';
}

/** The folder of this file, where the fleet's folders (`infra/`) are. */
const HERE = fileURLToPath(new URL('.', import.meta.url));

/**
 * The app that synthesizes Acme's fleet (below) into `outdir`.
 * @param baseDir where the fleet's folders are read from (default: the folder of this file)
 * @param options a test's own keys, or the release pipeline's CI system (default: the fleet's keys, GitHub Actions)
 */
export function buildApp(outdir: string, baseDir: string = HERE, options: AcmeOptions = {}): FluxApp {
  const app = new FluxApp({ outdir });
  buildFleet(app, baseDir, options);
  return app;
}

/**
 * Acme's fleet: staging and production in three AWS regions, production rolled out in two waves; staging verifies the
 * fleet's release key (CI signs with it on main), production only the release workflow run on a `v*` tag; infrastructure
 * controllers, then their configs, from the `infra/` folder beside this file (packed at synth, pinned by digest);
 * a mirrored Helm chart that staging takes at the newest 6.x and production at an exact version; a tenant team's
 * app from its own pipeline's artifact, pinned by digest in production; smoke tests in staging at a tag. The cdk8s
 * app synthesizes it; a Pulumi program bootstraps its clusters from the same declaration.
 * @param baseDir where the fleet's folders (`infra/`) are read from (default: the folder of this file)
 * @param options a test's own keys, or the release pipeline's CI system (default: the fleet's keys, GitHub Actions)
 */
export function buildFleet(scope: Construct, baseDir: string = HERE, options: AcmeOptions = {}): Fleet<AcmeVars> {
  const fleet = new Fleet<AcmeVars>(scope, 'acme', {
    registry: Registry.ecr({ account: '123456789012', repository: 'fleet' }),
    // Who signs, declared once: the release workflow on main signs what staging runs with the fleet's key...
    signing: Signing.cosignKey({ secretName: 'fleet-cosign', publicKey: options.fleetKey ?? FLEET_PUBLIC_KEY }),
    flux: { version: '2.9.x' },
    notifications: [Notification.slack({ channel: 'fleet-alerts', secretName: 'slack-bot-token' })],
    // Every cluster reports on the fleet repository's commits, as the status flux-fleet/<cluster>, whether it runs the
    // commit and its components are ready: CI reads it (flux-fleet status, rollout) with the token it holds.
    rollout: {
      report: options.releaseCi === 'gitlab'
        ? HealthReport.gitlabCommitStatus({ project: 'acme/fleet', tokenSecret: 'flux-fleet-status-token' })
        : HealthReport.githubCommitStatus({ repository: 'acme/fleet', tokenSecret: 'flux-fleet-status-token' }),
    },
    // ComponentSource.folder() paths start here: by default, the folder of this file.
    baseDir,
  });

  const staging = fleet.addEnvironment('staging', { channel: 'latest' });
  // ...and production accepts only what the release workflow signed keyless, run on a release tag.
  const production = fleet.addEnvironment('production', {
    channel: 'stable',
    signing: options.releaseCi === 'gitlab'
      ? Signing.gitlabCi({ project: 'acme/fleet', ref: 'refs/tags/v*' })
      : Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml', ref: 'refs/tags/v*' }),
    // Each wave soaks healthy for 30 minutes before the next one moves; wave 2 also waits for a person.
    rollout: { soak: '30m', progressDeadline: '1h', maxFailures: 0, approval: [2] },
  });

  staging.addCluster('stg-eu-1', { region: 'eu-west-1', vars: { domain: 'stg.acme.io', replicas: 1 } });
  staging.addCluster('stg-us-1', { region: 'us-east-1', vars: { domain: 'stg-us.acme.io', replicas: 1 } });
  // A canary on the next Flux minor, beside the clusters the Flux Operator runs on 2.9: Flux 2.10 from its own signed
  // release manifests, until an operator release that embeds 2.10 is pinned.
  staging.addCluster('stg-eu-2', {
    region: 'eu-west-1',
    vars: { domain: 'stg-eu-2.acme.io', replicas: 1 },
    flux: { version: '2.10.x', bootstrap: Bootstrap.plain() },
  });
  production.addCluster('prod-eu-1', { region: 'eu-west-1', wave: 1, vars: { domain: 'eu.acme.io', replicas: 3 } });
  production.addCluster('prod-us-1', { region: 'us-east-1', wave: 2, vars: { domain: 'us.acme.io', replicas: 3 } });
  production.addCluster('prod-ap-1', { region: 'ap-southeast-1', wave: 2, labels: { tier: 'edge' }, vars: { domain: 'ap.acme.io', replicas: 2 } });

  // One artifact packed from ./infra, shared by both components; every cluster pins its digest.
  const infra = ComponentSource.folder('./infra');
  const controllers = fleet.addComponent('infra-controllers', { source: infra, path: './controllers', wait: true });
  const configs = fleet.addComponent('infra-configs', { source: infra, path: './configs', dependsOn: [controllers] });

  fleet.addHelmComponent('podinfo', {
    // Mirrored into each region's registry with its signatures; clusters pull their region's copy.
    chart: ChartSource.mirrored('oci://ghcr.io/stefanprodan/charts/podinfo', {
      // Staging follows new 6.x releases; production changes only when this pin (and then a promotion) does. Production
      // pulls 6.7.0 by the digest flux-fleet.lock beside this file records (flux-fleet lock writes it): the digest of
      // the chart test/delivery/example-fleet-release.test.ts publishes as ghcr.io's, so the example delivers end to end.
      version: (cluster) => (cluster.production ? '6.7.0' : '6.x'),
      // The chart's own publisher signs it from its release workflow, for any release tag.
      signing: Signing.oidc({
        issuer: '^https://token\\.actions\\.githubusercontent\\.com$',
        subject: '^https://github\\.com/stefanprodan/podinfo/\\.github/workflows/release\\.yml@refs/tags/.+$',
        regex: true,
      }),
    }),
    dependsOn: [configs],
    values: (cluster) => ({
      replicaCount: cluster.vars.replicas,
      ingress: { enabled: true, className: 'nginx', hosts: [{ host: `podinfo.${cluster.vars.domain}`, paths: [{ path: '/', pathType: 'Prefix' }] }] },
      // A cert-manager Certificate for its host, from the platform's ClusterIssuer.
      certificate: { create: true, issuerRef: { kind: 'ClusterIssuer', name: 'letsencrypt' }, dnsNames: [`podinfo.${cluster.vars.domain}`] },
    }),
    // Helm waits for the release's objects with kstatus, and for the Certificate until it is issued: the release, and
    // so what depends on it, is ready only once the host serves TLS.
    waitStrategy: 'poller',
    healthCheckExprs: [{
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      current: 'status.conditions.exists(c, c.type == \'Ready\' && c.status == \'True\')',
      failed: 'status.conditions.exists(c, c.type == \'Issuing\' && c.status == \'False\' && c.reason == \'Failed\')',
    }],
  });

  // The web team signs its own artifacts with its key; its namespace gets the public key its sources verify with.
  const web = fleet.addTenant('team-web', {
    targets: { environments: [production] },
    signing: Signing.cosignKey({ secretName: 'team-web-cosign', publicKey: options.teamWebKey ?? TEAM_WEB_PUBLIC_KEY }),
  });
  fleet.addComponent('web-shop', {
    // The web team's CI pushes this artifact and signs it with the team's key (the tenant's signing); production runs
    // a reviewed digest of it, mirrored per region with its signatures. The digest is that of ./upstream/web-shop-manifests
    // packed as Flux does (flux push artifact --reproducible), so the example can be delivered end to end.
    source: ComponentSource.mirroredArtifact('oci://ghcr.io/acme/web-shop-manifests', {
      repository: 'apps/web-shop',
      ref: { digest: 'sha256:8226ad9ef8fd884909e2bced7f0cbb2f526d23271043977a401d95273566cef4' },
    }),
    path: './deploy',
    tenant: web,
    targets: { environments: [production] },
    dependsOn: [configs],
    substitutions: (cluster) => ({ SHOP_HOST: `shop.${cluster.vars.domain}` }),
  });

  // Staging runs the QA team's smoke tests at the tip of their main branch, pulled from where their CI pushes them.
  fleet.addComponent('smoke-tests', {
    source: ComponentSource.artifact('oci://ghcr.io/acme/smoke-tests', {
      ref: { tag: 'main' },
      signing: Signing.githubActions({ repository: 'acme/smoke-tests', workflow: 'release.yaml' }),
    }),
    targets: { environments: [staging] },
    dependsOn: [configs],
  });
  return fleet;
}
