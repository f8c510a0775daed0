import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chart, Testing } from 'cdk8s';
import { Registry } from '../../src/fleet/index.js';
import { ComponentSource, Fleet, FluxApp, OciRepository, SynthError } from '../../src/index.js';

const SECRET = { name: 'ghcr-auth' };

describe('Registry', () => {
  describe('ecr', () => {
    test('one registry per region, read with the AWS workload identity', () => {
      // GIVEN
      const registry = Registry.ecr({ account: '123456789012', repository: 'fleet' });
      // WHEN
      const eu = registry.urlFor('eu-west-1', 'prod-eu-1');
      const us = registry.urlFor('us-east-1', 'components/podinfo');
      // THEN
      expect(registry.kind).toBe('ecr');
      expect(eu).toBe('oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet/prod-eu-1');
      expect(us).toBe('oci://123456789012.dkr.ecr.us-east-1.amazonaws.com/fleet/components/podinfo');
      expect(registry.hostFor('eu-west-1')).toBe('123456789012.dkr.ecr.eu-west-1.amazonaws.com');
      expect(registry.repositoryFor('eu-west-1')).toBe('fleet');
      expect(registry.sourceSettings('eu-west-1')).toStrictEqual({ provider: 'aws' });
      expect(registry.validate('eu-west-1', ['prod-eu-1', 'components/podinfo'])).toStrictEqual([]);
    });

    test('China regions use the amazonaws.com.cn domain', () => {
      // GIVEN
      const registry = Registry.ecr({ account: '123456789012', repository: 'fleet' });
      // WHEN
      const url = registry.urlFor('cn-north-1', 'prod-cn-1');
      // THEN
      expect(url).toBe('oci://123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/fleet/prod-cn-1');
      expect(registry.validate('cn-north-1')).toStrictEqual([]);
    });

    test('an explicit partition and GovCloud region', () => {
      // GIVEN
      const registry = Registry.ecr({ account: '123456789012', repository: 'fleet', partition: 'aws-us-gov' });
      // WHEN
      const host = registry.hostFor('us-gov-west-1');
      // THEN
      expect(host).toBe('123456789012.dkr.ecr.us-gov-west-1.amazonaws.com');
      expect(registry.validate('us-gov-west-1')).toStrictEqual([]);
    });

    test('a registry in a fixed region serves clusters of every region', () => {
      // GIVEN
      const registry = Registry.ecr({ account: '123456789012', repository: 'platform/fleet', region: 'eu-west-1' });
      // WHEN
      const url = registry.urlFor('eu-central-1', 'prod-de-1');
      // THEN
      expect(url).toBe('oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/platform/fleet/prod-de-1');
      expect(registry.validate('eu-central-1')).toStrictEqual([]);
    });

    test('an OciRepository built from it passes app.validate()', () => {
      // GIVEN
      const app = new FluxApp();
      const chart = new Chart(app, 'chart');
      const registry = Registry.ecr({ account: '123456789012', repository: 'fleet' });
      // WHEN
      new OciRepository(chart, 'flux-system', {
        url: registry.urlFor('eu-west-1', 'prod-eu-1'),
        ref: { tag: 'stable' },
        ...registry.sourceSettings('eu-west-1'),
      });
      // THEN
      expect(Testing.synth(chart)).toStrictEqual([
        {
          apiVersion: 'source.toolkit.fluxcd.io/v1',
          kind: 'OCIRepository',
          metadata: { name: 'flux-system', namespace: 'flux-system' },
          spec: {
            url: 'oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet/prod-eu-1',
            interval: '5m',
            ref: { tag: 'stable' },
            provider: 'aws',
          },
        },
      ]);
      expect(() => app.validate()).not.toThrow();
    });
  });

  describe('acr', () => {
    test('one registry name for every region, read with Azure workload identity', () => {
      // GIVEN
      const registry = Registry.acr({ registryName: 'AcmeFleet', repository: 'fleet' });
      // WHEN
      const url = registry.urlFor('westeurope', 'prod-weu-1');
      // THEN
      expect(registry.kind).toBe('acr');
      expect(url).toBe('oci://acmefleet.azurecr.io/fleet/prod-weu-1');
      expect(registry.hostFor('eastus2')).toBe('acmefleet.azurecr.io');
      expect(registry.sourceSettings('westeurope')).toStrictEqual({ provider: 'azure' });
      expect(registry.validate('westeurope')).toStrictEqual([]);
    });

    test('a registry name per region', () => {
      // GIVEN
      const registry = Registry.acr({ registryName: { westeurope: 'acmeweu', eastus: 'acmeeus' }, repository: 'fleet' });
      // WHEN
      const weu = registry.urlFor('westeurope', 'prod-weu-1');
      const eus = registry.urlFor('eastus', 'prod-eus-1');
      // THEN
      expect(weu).toBe('oci://acmeweu.azurecr.io/fleet/prod-weu-1');
      expect(eus).toBe('oci://acmeeus.azurecr.io/fleet/prod-eus-1');
      expect(registry.validate('eastus')).toStrictEqual([]);
    });

    test('fails when a URL is asked for a region the name map lacks', () => {
      // GIVEN
      const registry = Registry.acr({ registryName: { westeurope: 'acmeweu' }, repository: 'fleet' });
      // WHEN
      const url = () => registry.urlFor('northeurope', 'prod-neu-1');
      // THEN
      expect(url).toThrow('Registry.acr() registryName has no entry for region "northeurope"; add one (regions listed: "westeurope")');
    });
  });

  describe('gar', () => {
    test('the location follows the cluster region, read with GKE workload identity', () => {
      // GIVEN
      const registry = Registry.gar({ project: 'acme-fleet', repository: 'fleet' });
      // WHEN
      const url = registry.urlFor('europe-west1', 'prod-ew1');
      // THEN
      expect(registry.kind).toBe('gar');
      expect(url).toBe('oci://europe-west1-docker.pkg.dev/acme-fleet/fleet/prod-ew1');
      expect(registry.hostFor('us-central1')).toBe('us-central1-docker.pkg.dev');
      expect(registry.repositoryFor('us-central1')).toBe('acme-fleet/fleet');
      expect(registry.sourceSettings('europe-west1')).toStrictEqual({ provider: 'gcp' });
      expect(registry.validate('europe-west1')).toStrictEqual([]);
    });

    test('a multi-region location serves every region', () => {
      // GIVEN
      const registry = Registry.gar({ project: 'acme-fleet', repository: 'fleet', location: 'europe' });
      // WHEN
      const url = registry.urlFor('europe-west4', 'prod-ew4');
      // THEN
      expect(url).toBe('oci://europe-docker.pkg.dev/acme-fleet/fleet/prod-ew4');
      expect(registry.validate('europe-west4')).toStrictEqual([]);
    });
  });

  describe('ghcr', () => {
    test('artifacts under the owner, read with a pull secret', () => {
      // GIVEN
      const registry = Registry.ghcr({ owner: 'Acme', pullSecret: SECRET });
      // WHEN
      const url = registry.urlFor('eu-west-1', 'prod-eu-1');
      // THEN
      expect(registry.kind).toBe('ghcr');
      expect(url).toBe('oci://ghcr.io/acme/prod-eu-1');
      expect(registry.hostFor('eu-west-1')).toBe('ghcr.io');
      expect(registry.sourceSettings('eu-west-1')).toStrictEqual({ provider: 'generic', secretRef: { name: 'ghcr-auth' } });
      expect(registry.validate('eu-west-1')).toStrictEqual([]);
    });

    test('artifacts under a repository prefix', () => {
      // GIVEN
      const registry = Registry.ghcr({ owner: 'acme', repository: 'fleet', pullSecret: SECRET });
      // WHEN
      const url = registry.urlFor('us-east-1', 'components/podinfo');
      // THEN
      expect(url).toBe('oci://ghcr.io/acme/fleet/components/podinfo');
    });

    test('an OciRepository built from it passes app.validate()', () => {
      // GIVEN
      const app = new FluxApp();
      const chart = new Chart(app, 'chart');
      const registry = Registry.ghcr({ owner: 'acme', repository: 'fleet', pullSecret: SECRET });
      // WHEN
      new OciRepository(chart, 'flux-system', { url: registry.urlFor('eu-west-1', 'prod-eu-1'), ...registry.sourceSettings('eu-west-1') });
      // THEN
      expect(Testing.synth(chart)).toStrictEqual([
        {
          apiVersion: 'source.toolkit.fluxcd.io/v1',
          kind: 'OCIRepository',
          metadata: { name: 'flux-system', namespace: 'flux-system' },
          spec: {
            url: 'oci://ghcr.io/acme/fleet/prod-eu-1',
            interval: '5m',
            provider: 'generic',
            secretRef: { name: 'ghcr-auth' },
          },
        },
      ]);
      expect(() => app.validate()).not.toThrow();
    });
  });

  describe('generic', () => {
    test('a fixed host is reached over HTTPS: insecure is left out', () => {
      // GIVEN
      const registry = Registry.generic({ host: 'registry.acme.io', repository: 'platform/fleet' });
      // WHEN
      const url = registry.urlFor('dc-1', 'prod-dc-1');
      // THEN
      expect(registry.kind).toBe('generic');
      expect(url).toBe('oci://registry.acme.io/platform/fleet/prod-dc-1');
      expect(registry.sourceSettings('dc-1')).toStrictEqual({ provider: 'generic' });
      expect(registry.validate('dc-1')).toStrictEqual([]);
    });

    test('a host per region, with a pull secret', () => {
      // GIVEN
      const registry = Registry.generic({
        host: (region) => `registry.${region}.acme.io`,
        repository: 'fleet',
        pullSecret: { name: 'registry-auth' },
      });
      // WHEN
      const url = registry.urlFor('eu-west-1', 'prod-eu-1');
      // THEN
      expect(url).toBe('oci://registry.eu-west-1.acme.io/fleet/prod-eu-1');
      expect(registry.hostFor('us-east-1')).toBe('registry.us-east-1.acme.io');
      expect(registry.sourceSettings('eu-west-1')).toStrictEqual({ provider: 'generic', secretRef: { name: 'registry-auth' } });
      expect(registry.validate('eu-west-1')).toStrictEqual([]);
    });

    test('plain HTTP is an explicit opt-in', () => {
      // GIVEN
      const registry = Registry.generic({ host: 'localhost:5000', repository: 'fleet', insecure: true });
      // WHEN
      const settings = registry.sourceSettings('local');
      // THEN
      expect(settings).toStrictEqual({ provider: 'generic', insecure: true });
      expect(registry.urlFor('local', 'kind-1')).toBe('oci://localhost:5000/fleet/kind-1');
      expect(registry.validate('local')).toStrictEqual([]);
    });

    test('insecure: false stays HTTPS', () => {
      // GIVEN
      const registry = Registry.generic({ host: 'registry.acme.io', repository: 'fleet', insecure: false });
      // WHEN
      const settings = registry.sourceSettings('dc-1');
      // THEN
      expect(settings).toStrictEqual({ provider: 'generic' });
    });

    test('fails without showing a broken host when a computed host reads an undefined value for a region', () => {
      // GIVEN
      const ports: Record<string, number> = { 'eu-west-1': 5001 };
      const registry = Registry.generic({ host: (region) => `127.0.0.1:${ports[region]}`, repository: 'fleet', insecure: true });
      // WHEN
      const messages = registry.validate('us-east-1');
      // THEN
      expect(messages).toStrictEqual([
        'Registry.generic() host function has no host for region "us-east-1": what it returns for that region holds an undefined, null or NaN value (a lookup by region with no entry for "us-east-1", say); return a host for every region the fleet\'s clusters run in',
      ]);
      expect(messages.join('\n')).not.toContain('127.0.0.1:undefined');
      expect(registry.validate('eu-west-1')).toStrictEqual([]);
    });

    test('fails with a clear message when a computed host throws or returns no string', () => {
      // GIVEN
      const throwing = Registry.generic({ host: (region) => { throw new Error(`no registry in ${region}`); }, repository: 'fleet' });
      const empty = Registry.generic({ host: () => undefined as unknown as string, repository: 'fleet' });
      // WHEN
      const messages = [...throwing.validate('us-east-1'), ...empty.validate('us-east-1')];
      // THEN
      expect(messages).toStrictEqual([
        'Registry.generic() host function has no host for region "us-east-1": it throws for it (no registry in us-east-1); return a host for every region the fleet\'s clusters run in',
        'Registry.generic() host function has no host for region "us-east-1": it returns undefined for it; return a host for every region the fleet\'s clusters run in',
      ]);
      expect([throwing.hasRegion('us-east-1'), empty.hasRegion('us-east-1')]).toStrictEqual([false, false]);
      expect(() => throwing.urlFor('us-east-1', 'x')).toThrow(messages[0]);
    });

    test('an insecure OciRepository built from it passes app.validate()', () => {
      // GIVEN
      const app = new FluxApp();
      const chart = new Chart(app, 'chart');
      const registry = Registry.generic({ host: 'localhost:5000', repository: 'fleet', insecure: true });
      // WHEN
      new OciRepository(chart, 'flux-system', { url: registry.urlFor('local', 'kind-1'), ...registry.sourceSettings('local') });
      // THEN
      expect(Testing.synth(chart)).toStrictEqual([
        {
          apiVersion: 'source.toolkit.fluxcd.io/v1',
          kind: 'OCIRepository',
          metadata: { name: 'flux-system', namespace: 'flux-system' },
          spec: { url: 'oci://localhost:5000/fleet/kind-1', interval: '5m', provider: 'generic', insecure: true },
        },
      ]);
      expect(() => app.validate()).not.toThrow();
    });
  });

  describe('perRegion', () => {
    const registry = Registry.perRegion({
      'eu-west-1': Registry.ecr({ account: '123456789012', repository: 'fleet' }),
      'westeurope': Registry.acr({ registryName: 'acmeweu', repository: 'fleet' }),
      'europe-west1': Registry.gar({ project: 'acme-fleet', repository: 'fleet' }),
    });

    test('each region reads from its own registry', () => {
      // GIVEN: the registry above
      // WHEN
      const urls = ['eu-west-1', 'westeurope', 'europe-west1'].map((region) => registry.urlFor(region, 'prod'));
      // THEN
      expect(registry.kind).toBe('per-region');
      expect(urls).toStrictEqual([
        'oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet/prod',
        'oci://acmeweu.azurecr.io/fleet/prod',
        'oci://europe-west1-docker.pkg.dev/acme-fleet/fleet/prod',
      ]);
      expect(registry.hostFor('westeurope')).toBe('acmeweu.azurecr.io');
      expect(registry.repositoryFor('europe-west1')).toBe('acme-fleet/fleet');
      expect(registry.sourceSettings('europe-west1')).toStrictEqual({ provider: 'gcp' });
      expect(registry.helmChartUrl('eu-west-1', 'podinfo')).toBe('oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet/charts/podinfo');
      expect(['eu-west-1', 'westeurope', 'europe-west1'].flatMap((region) => registry.validate(region))).toStrictEqual([]);
    });

    test('the region\'s registry validates its own settings', () => {
      // GIVEN
      const mixed = Registry.perRegion({ 'eu-west-1': Registry.ecr({ account: '1234', repository: 'fleet' }) });
      // WHEN
      const messages = mixed.validate('eu-west-1');
      // THEN
      expect(messages).toStrictEqual(['Registry.ecr() account "1234" is not an AWS account id; use its 12 digits as a string, e.g. "123456789012"']);
    });

    test('fails when the map lacks the region', () => {
      // GIVEN: the registry above
      // WHEN
      const messages = registry.validate('ap-south-1');
      // THEN
      const message = 'Registry.perRegion() has no registry for region "ap-south-1"; add an entry for it (regions listed: "eu-west-1", "westeurope", "europe-west1")';
      expect(messages).toStrictEqual([message]);
      expect(() => registry.urlFor('ap-south-1', 'prod')).toThrow(message);
      expect(() => registry.hostFor('ap-south-1')).toThrow(message);
      expect(() => registry.sourceSettings('ap-south-1')).toThrow(message);
    });

    test('fails in the collected synth report when a cluster runs in a region the map lacks, with the fleet\'s other mistakes', () => {
      // GIVEN
      const app = new FluxApp({ outdir: mkdtempSync(join(tmpdir(), 'per-region-')) });
      const fleet = new Fleet(app, 'acme', { registry, reconcileInterval: '5 minutes' });
      const staging = fleet.addEnvironment('staging', { channel: 'latest' });
      staging.addCluster('stg-eu-1', { region: 'eu-west-1' });
      staging.addCluster('stg-ap-1', { region: 'ap-south-1' });
      fleet.addComponent('apps', { source: ComponentSource.artifact('oci://ghcr.io/acme/apps', { ref: { tag: '1.0.0' } }) });
      // WHEN
      const synth = () => app.synth();
      // THEN
      expect(synth).toThrow(SynthError);
      expect(synth).toThrow([
        'Synth failed with 2 errors; nothing was written:',
        '  [acme] registry: Registry.perRegion() has no registry for region "ap-south-1"; add an entry for it (regions listed: "eu-west-1", "westeurope", "europe-west1")',
        '  [acme/<cluster>/apps/apps] spec.interval "5 minutes" is not a Go duration; use a number and a unit (ms, s, m or h), e.g. "5m" or "1m30s", or Duration.minutes(5) (on cluster stg-eu-1)',
      ].join('\n'));
      expect([registry.hasRegion('eu-west-1'), registry.hasRegion('ap-south-1')]).toStrictEqual([true, false]);
    });

    test('fails when the map lists no region', () => {
      // GIVEN
      const empty = Registry.perRegion({});
      // WHEN
      const messages = empty.validate('eu-west-1');
      // THEN
      expect(messages).toStrictEqual(['Registry.perRegion() lists no regions; add one registry per region, e.g. { "eu-west-1": Registry.ecr({ ... }) }']);
    });
  });

  describe('paths and charts', () => {
    test('leading and trailing slashes of a path are dropped', () => {
      // GIVEN
      const registry = Registry.ghcr({ owner: 'acme', repository: '/fleet/', pullSecret: SECRET });
      // WHEN
      const url = registry.urlFor('eu-west-1', '/components/podinfo/');
      // THEN
      expect(url).toBe('oci://ghcr.io/acme/fleet/components/podinfo');
    });

    test('Helm charts are mirrored under "charts" by default', () => {
      // GIVEN
      const registry = Registry.ecr({ account: '123456789012', repository: 'fleet' });
      // WHEN
      const url = registry.helmChartUrl('eu-west-1', 'podinfo');
      // THEN
      expect(url).toBe('oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet/charts/podinfo');
    });

    test('Helm charts under a chosen folder', () => {
      // GIVEN
      const registry = Registry.generic({ host: 'registry.acme.io', repository: 'fleet', chartsPath: 'mirror/helm' });
      // WHEN
      const url = registry.helmChartUrl('dc-1', 'podinfo');
      // THEN
      expect(url).toBe('oci://registry.acme.io/fleet/mirror/helm/podinfo');
      expect(registry.validate('dc-1', ['mirror/helm/podinfo'])).toStrictEqual([]);
    });

    test('a chart OciRepository built from it passes app.validate()', () => {
      // GIVEN
      const app = new FluxApp();
      const chart = new Chart(app, 'chart');
      const registry = Registry.gar({ project: 'acme-fleet', repository: 'fleet' });
      // WHEN
      new OciRepository(chart, 'podinfo', {
        url: registry.helmChartUrl('europe-west1', 'podinfo'),
        ref: { semver: '6.x' },
        layerSelector: { mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', operation: 'copy' },
        ...registry.sourceSettings('europe-west1'),
      });
      // THEN
      expect(Testing.synth(chart)).toStrictEqual([
        {
          apiVersion: 'source.toolkit.fluxcd.io/v1',
          kind: 'OCIRepository',
          metadata: { name: 'podinfo', namespace: 'flux-system' },
          spec: {
            url: 'oci://europe-west1-docker.pkg.dev/acme-fleet/fleet/charts/podinfo',
            interval: '5m',
            ref: { semver: '6.x' },
            layerSelector: { mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', operation: 'copy' },
            provider: 'gcp',
          },
        },
      ]);
      expect(() => app.validate()).not.toThrow();
    });
  });

  const ecr = { account: '123456789012', repository: 'fleet' };
  const failures: Array<[string, Registry, string, string[]]> = [
    // ECR
    ['the ECR account is not 12 digits', Registry.ecr({ ...ecr, account: '12345678901' }), 'eu-west-1',
      ['Registry.ecr() account "12345678901" is not an AWS account id; use its 12 digits as a string, e.g. "123456789012"']],
    ['the ECR repository is not an ECR name', Registry.ecr({ ...ecr, repository: 'Fleet_' }), 'eu-west-1',
      ['Registry.ecr() repository "Fleet_" is not an ECR repository name: use 2 to 256 lowercase letters, digits and \'.\', \'_\', \'-\' or \'/\' between them, e.g. "fleet"']],
    ['the ECR region is a Google Cloud region', Registry.ecr(ecr), 'europe-west1',
      ['Registry.ecr() region "europe-west1" is not an AWS region (like "eu-west-1") but a Google Cloud one; ECR needs the AWS region of the registry: run the cluster in an AWS region, or set region']],
    ['the ECR region set in props is not an AWS region', Registry.ecr({ ...ecr, region: 'westeurope' }), 'eu-west-1',
      ['Registry.ecr() region "westeurope" is not an AWS region (like "eu-west-1") but looks like an Azure one; ECR needs the AWS region of the registry']],
    ['the ECR region is misspelled', Registry.ecr(ecr), 'eu-wset-1',
      ['Registry.ecr() region "eu-wset-1" is not a region AWS runs (flux-fleet\'s list, AWS_REGIONS); did you mean "eu-west-1"?; use the registry\'s AWS region, or, if AWS opened "eu-wset-1" after that list was made, accept it with additionalRegions: ["eu-wset-1"]']],
    ['the ECR region has no dashes', Registry.ecr(ecr), 'euwest1',
      ['Registry.ecr() region "euwest1" is not an AWS region (like "eu-west-1") but looks like an Azure one; did you mean "eu-west-1"?; ECR needs the AWS region of the registry: run the cluster in an AWS region, or set region']],
    ['the ECR region is not one AWS runs, with nothing close', Registry.ecr({ ...ecr, region: 'xx-nowhere-9' }), 'eu-west-1',
      ['Registry.ecr() region "xx-nowhere-9" is not a region AWS runs (flux-fleet\'s list, AWS_REGIONS); use the registry\'s AWS region, or, if AWS opened "xx-nowhere-9" after that list was made, accept it with additionalRegions: ["xx-nowhere-9"]']],
    ['the ECR partition does not serve the region', Registry.ecr({ ...ecr, partition: 'aws' }), 'cn-northwest-1',
      ['Registry.ecr() partition "aws" does not serve region "cn-northwest-1"; set partition to "aws-cn", or drop it (it follows the region)']],
    // ACR
    ['the ACR region is an AWS region', Registry.acr({ registryName: 'acmefleet', repository: 'fleet' }), 'eu-west-1',
      ['Registry.acr() region "eu-west-1" is not an Azure region (like "westeurope") but an AWS one; ACR with workload identity needs an AKS cluster in an Azure region']],
    ['the ACR region is misspelled', Registry.acr({ registryName: 'acmefleet', repository: 'fleet' }), 'westeruope',
      ['Registry.acr() region "westeruope" is not a region Azure runs (flux-fleet\'s list, AZURE_REGIONS); did you mean "westeurope"?; use the registry\'s Azure region, or, if Azure opened "westeruope" after that list was made, accept it with additionalRegions: ["westeruope"]']],
    ['the ACR region is spelled as its display name', Registry.acr({ registryName: 'acmefleet', repository: 'fleet' }), 'West Europe',
      ['Registry.acr() region "West Europe" is not an Azure region (like "westeurope"); did you mean "westeurope"?; ACR with workload identity needs an AKS cluster in an Azure region']],
    ['the ACR name has a dash', Registry.acr({ registryName: 'acme-fleet', repository: 'fleet' }), 'westeurope',
      ['Registry.acr() registryName "acme-fleet" is not an ACR name: use 5 to 50 letters and digits only, e.g. "acmefleet"']],
    ['the ACR name is too short', Registry.acr({ registryName: 'acr', repository: 'fleet' }), 'westeurope',
      ['Registry.acr() registryName "acr" is not an ACR name: use 5 to 50 letters and digits only, e.g. "acrregistry"']],
    ['the ACR name map lacks the region', Registry.acr({ registryName: { westeurope: 'acmeweu' }, repository: 'fleet' }), 'northeurope',
      ['Registry.acr() registryName has no entry for region "northeurope"; add one (regions listed: "westeurope")']],
    ['the ACR repository is not an OCI path', Registry.acr({ registryName: 'acmefleet', repository: 'Fleet Repo' }), 'westeurope',
      ['Registry.acr() repository "Fleet Repo" is not an OCI repository path: use lowercase letters and digits, with \'.\', \'_\', \'-\' between them and \'/\' between components, e.g. "fleet-repo"']],
    // GAR
    ['the GAR region is an AWS region and no location is set', Registry.gar({ project: 'acme-fleet', repository: 'fleet' }), 'eu-west-1',
      ['Registry.gar() region "eu-west-1" is not a Google Cloud region (like "europe-west1") but an AWS one; run the cluster in a GCP region, or set location (e.g. "europe-west1" or "europe")']],
    ['the GAR region is misspelled', Registry.gar({ project: 'acme-fleet', repository: 'fleet' }), 'europe-west11',
      ['Registry.gar() region "europe-west11" is not a region Google Cloud runs (flux-fleet\'s list, GCP_REGIONS); did you mean "europe-west1"?; use the registry\'s Google Cloud region, or, if Google Cloud opened "europe-west11" after that list was made, accept it with additionalRegions: ["europe-west11"]']],
    ['the GAR location is a misspelled region', Registry.gar({ project: 'acme-fleet', repository: 'fleet', location: 'us-centrl1' }), 'europe-west1',
      ['Registry.gar() location "us-centrl1" is not an Artifact Registry location; did you mean "us-central1"?; use a region (like "europe-west1") or a multi-region ("us", "europe" or "asia"), or, if Google opened "us-centrl1" after flux-fleet\'s list (GCP_REGIONS) was made, accept it with additionalRegions: ["us-centrl1"]']],
    ['the GAR location is unknown', Registry.gar({ project: 'acme-fleet', repository: 'fleet', location: 'emea' }), 'europe-west1',
      ['Registry.gar() location "emea" is not an Artifact Registry location; use a region (like "europe-west1") or a multi-region ("us", "europe" or "asia")']],
    ['the GAR project is not a project id', Registry.gar({ project: 'Acme', repository: 'fleet' }), 'europe-west1',
      ['Registry.gar() project "Acme" is not a Google Cloud project id: use 6 to 30 lowercase letters, digits and \'-\', starting with a letter, e.g. "acme-fleet"']],
    ['the GAR repository is not a repository id', Registry.gar({ project: 'acme-fleet', repository: 'fleet/apps' }), 'europe-west1',
      ['Registry.gar() repository "fleet/apps" is not an Artifact Registry repository id: use up to 63 lowercase letters, digits and \'-\', starting with a letter, e.g. "fleet-apps"']],
    // GHCR
    ['the GHCR owner is not a GitHub name', Registry.ghcr({ owner: '-acme', pullSecret: SECRET }), 'eu-west-1',
      ['Registry.ghcr() owner "-acme" is not a GitHub user or organization: use up to 39 letters, digits and single \'-\' between them, e.g. "acme"']],
    ['the GHCR repository is not an OCI path', Registry.ghcr({ owner: 'acme', repository: 'Fleet', pullSecret: SECRET }), 'eu-west-1',
      ['Registry.ghcr() repository "Fleet" is not an OCI repository path: use lowercase letters and digits, with \'.\', \'_\', \'-\' between them and \'/\' between components, e.g. "fleet"']],
    ['the GHCR pull secret name is not a DNS name', Registry.ghcr({ owner: 'acme', pullSecret: { name: 'GHCR_Auth' } }), 'eu-west-1',
      ['Registry.ghcr() pullSecret.name "GHCR_Auth" is not a DNS-1123 name: use lowercase letters, digits, \'-\' and \'.\', starting and ending with a letter or digit, e.g. "ghcr-auth"']],
    // generic
    ['the generic host carries http://', Registry.generic({ host: 'http://registry.local:5000', repository: 'fleet' }), 'dc-1',
      ['Registry.generic() host "http://registry.local:5000" carries a scheme; give the host alone ("registry.local:5000") and set insecure: true to opt in to plain HTTP']],
    ['the generic host carries https://', Registry.generic({ host: 'https://registry.acme.io', repository: 'fleet' }), 'dc-1',
      ['Registry.generic() host "https://registry.acme.io" carries a scheme; give the host alone ("registry.acme.io")']],
    ['the generic host carries a path', Registry.generic({ host: 'registry.acme.io/platform', repository: 'fleet' }), 'dc-1',
      ['Registry.generic() host "registry.acme.io/platform" carries a path; give the host alone ("registry.acme.io") and move "platform" into repository']],
    ['the generic host is not a host name', Registry.generic({ host: 'registry_acme', repository: 'fleet' }), 'dc-1',
      ['Registry.generic() host "registry_acme" is not a registry host; use a host name with an optional port, e.g. "registry.acme.io" or "localhost:5000"']],
    ['the generic host port is out of range', Registry.generic({ host: 'localhost:70000', repository: 'fleet' }), 'dc-1',
      ['Registry.generic() host "localhost:70000" is not a registry host; use a host name with an optional port, e.g. "registry.acme.io" or "localhost:5000"']],
    ['the generic host computed for the region is not a host name', Registry.generic({ host: (r) => `registry.${r}.acme.io`, repository: 'fleet' }), 'EU West',
      ['Registry.generic() host "registry.EU West.acme.io" (computed for region "EU West") is not a registry host; use a host name with an optional port, e.g. "registry.acme.io" or "localhost:5000"']],
    ['the generic repository is not an OCI path', Registry.generic({ host: 'registry.acme.io', repository: 'platform//fleet' }), 'dc-1',
      ['Registry.generic() repository "platform//fleet" is not an OCI repository path: use lowercase letters and digits, with \'.\', \'_\', \'-\' between them and \'/\' between components, e.g. "platform/fleet"']],
    ['the generic pull secret name is not a DNS name', Registry.generic({ host: 'registry.acme.io', repository: 'fleet', pullSecret: { name: 'Registry' } }), 'dc-1',
      ['Registry.generic() pullSecret.name "Registry" is not a DNS-1123 name: use lowercase letters, digits, \'-\' and \'.\', starting and ending with a letter or digit, e.g. "registry"']],
    // shared
    ['the charts folder is not an OCI path', Registry.ecr({ ...ecr, chartsPath: 'Helm Charts' }), 'eu-west-1',
      ['Registry.ecr() chartsPath "Helm Charts" is not an OCI repository path: use lowercase letters and digits, with \'.\', \'_\', \'-\' between them and \'/\' between components, e.g. "helm-charts"']],
  ];

  test('a region a cloud opened after flux-fleet\'s list is accepted when listed in additionalRegions', () => {
    // GIVEN
    const registries = [
      Registry.ecr({ ...ecr, additionalRegions: ['eu-east-1'] }),
      Registry.acr({ registryName: 'acmefleet', repository: 'fleet', additionalRegions: ['icelandnorth'] }),
      Registry.gar({ project: 'acme-fleet', repository: 'fleet', additionalRegions: ['europe-east1'] }),
    ];
    // WHEN
    const messages = [registries[0].validate('eu-east-1'), registries[1].validate('icelandnorth'), registries[2].validate('europe-east1')];
    // THEN
    expect(messages).toStrictEqual([[], [], []]);
    expect(registries[0].urlFor('eu-east-1', 'prod')).toBe('oci://123456789012.dkr.ecr.eu-east-1.amazonaws.com/fleet/prod');
  });

  test.each(failures)('fails when %s', (_, registry, region, messages) => {
    // GIVEN: the registry of the row
    // WHEN
    const found = registry.validate(region);
    // THEN
    expect(found).toStrictEqual(messages);
  });

  test('fails when an artifact path is not an OCI path', () => {
    // GIVEN
    const registry = Registry.ecr(ecr);
    // WHEN
    const found = registry.validate('eu-west-1', ['prod-eu-1', './clusters/Prod', '']);
    // THEN
    expect(found).toStrictEqual([
      'Registry.ecr() path "./clusters/Prod" is not an OCI repository path: use lowercase letters and digits, with \'.\', \'_\', \'-\' between them and \'/\' between components, e.g. "clusters/prod"',
      'Registry.ecr() path is empty; give a repository path, e.g. "fleet" or "components/podinfo"',
    ]);
  });

  test('gathers every problem of a registry in one report', () => {
    // GIVEN
    const registry = Registry.ecr({ account: 'acme', repository: 'Fleet', partition: 'aws-cn' });
    // WHEN
    const found = registry.validate('eu-west-1');
    // THEN
    expect(found).toStrictEqual([
      'Registry.ecr() account "acme" is not an AWS account id; use its 12 digits as a string, e.g. "123456789012"',
      'Registry.ecr() repository "Fleet" is not an ECR repository name: use 2 to 256 lowercase letters, digits and \'.\', \'_\', \'-\' or \'/\' between them, e.g. "fleet"',
      'Registry.ecr() partition "aws-cn" does not serve region "eu-west-1"; set partition to "aws", or drop it (it follows the region)',
    ]);
  });
});
