import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allowLiteralValues, ChartSource, ComponentSource, Fleet, FluxApp, Registry, Signing, SynthError } from '../../src/index.js';

function synthErrors(build: (app: FluxApp) => void): string[] {
  const app = new FluxApp({ outdir: join(mkdtempSync(join(tmpdir(), 'fleet-secrets-')), 'dist') });
  build(app);
  try {
    app.synth();
  } catch (e) {
    if (!(e instanceof SynthError)) throw e;
    return e.errors.map((x) => `[${x.path}] ${x.message}`);
  }
  return [];
}

function smallFleet(app: FluxApp, vars: Record<string, string> = { domain: 'stg.acme.io' }) {
  const fleet = new Fleet<Record<string, string>>(app, 'acme', {
    registry: Registry.ecr({ account: '123456789012', repository: 'fleet' }),
    signing: Signing.githubActions({ repository: 'acme/fleet', workflow: 'release.yaml' }),
  });
  fleet.addEnvironment('staging', { channel: 'latest' }).addCluster('stg-eu-1', { region: 'eu-west-1', vars });
  return fleet;
}

const PEM = '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIA==\n-----END EC PRIVATE KEY-----\n';

/** The path and reason of each error about a literal credential. */
function found(errors: string[]): string[] {
  return errors.map((e) => /\] (\S+) holds (.*?), which would be written/.exec(e)?.slice(1).join(': ') ?? e);
}

describe('literal credentials in a fleet', () => {
  test('fails when Helm values hold credentials by key or by value', () => {
    // GIVEN
    const errors = synthErrors((app) => {
      smallFleet(app).addHelmComponent('db', {
        chart: ChartSource.oci('oci://registry-1.docker.io/bitnamicharts/postgresql', { version: '16.x', signing: Signing.none() }),
        values: {
          env: [{ name: 'DB_PASSWORD', value: 'hunter2' }, { name: 'DB_HOST', value: 'db' }],
          s3: { secretAccessKey: 'wJalrXUtnFEMI', aws_secret_access_key: 'wJalrXUtnFEMI' },
          admin: { password: 123456, pwd: 'x1', passphrase: 'open sesame' },
          tls: { key: PEM },
          database: { url: 'postgres://app:pw@db.acme.io:5432/app' },
          registry: { auth: 'YXBwOnB3' },
          alerts: { webhook: 'https://hooks.slack.com/services/T000/B000/XXXX' },
        },
      });
    });
    // THEN
    expect(found(errors)).toStrictEqual([
      'values.env[0].value: a literal value for the credential-like name "DB_PASSWORD"',
      'values.s3.secretAccessKey: a literal value under the credential-like key "secretAccessKey"',
      'values.s3.aws_secret_access_key: a literal value under the credential-like key "aws_secret_access_key"',
      'values.admin.password: a literal value under the credential-like key "password"',
      'values.admin.pwd: a literal value under the credential-like key "pwd"',
      'values.admin.passphrase: a literal value under the credential-like key "passphrase"',
      'values.tls.key: a private key',
      'values.database.url: a URL with a password',
      'values.registry.auth: a literal value under the credential-like key "auth"',
      'values.alerts.webhook: a Slack webhook URL',
    ]);
    expect(errors[0]).toBe('[acme/components/db] values.env[0].value holds a literal value for the credential-like name "DB_PASSWORD", which would be written to the ' +
      'config repo in plain text; put it in a Secret on the cluster and reference it with valuesFrom (targetPath "env[0].value"), or declare ' +
      'allowLiteralValues(<construct>, "values.env[0].value") if it is not a credential (on cluster stg-eu-1)');
  });

  test('references to secrets, placeholders and empty values are not credentials', () => {
    // GIVEN
    const errors = synthErrors((app) => {
      smallFleet(app).addHelmComponent('db', {
        chart: ChartSource.oci('oci://registry-1.docker.io/bitnamicharts/postgresql', { version: '16.x', signing: Signing.none() }),
        values: {
          auth: { existingSecret: 'db-auth', password: '', passwordSecretRef: 'db-auth', tokenFile: '/var/run/token' },
          env: [{ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }],
          database: { url: 'postgres://app@db.acme.io:5432/app', password: '${DB_PASSWORD}' },
          compass: 'north',
        },
      });
    });
    // THEN
    expect(errors).toStrictEqual([]);
  });

  test('fails when a substitution holds a credential', () => {
    // GIVEN
    const errors = synthErrors((app) => {
      smallFleet(app).addComponent('api', { source: ComponentSource.mirroredArtifact('oci://ghcr.io/acme/apps', { repository: 'apps', ref: { tag: '1.0.0' } }), substitutions: () => ({ DB_PASS: 'hunter2', DB_URL: 'mysql://app:hunter2@db/app', REPLICAS: '2' }) });
    });
    // THEN
    expect(found(errors)).toStrictEqual([
      'substitute.DB_PASS: a literal value under the credential-like key "DB_PASS"',
      'substitute.DB_URL: a URL with a password',
    ]);
  });

  test('fails when a cluster variable going into the runtime ConfigMap holds a credential', () => {
    // GIVEN
    const errors = synthErrors((app) => {
      smallFleet(app, { domain: 'stg.acme.io', dbPassword: 'hunter2' });
    });
    // THEN
    expect(found(errors)).toStrictEqual(['data.dbPassword: a literal value under the credential-like key "dbPassword"']);
    expect(errors[0]).toMatch(/^\[acme\/staging\/stg-eu-1\/\S+flux-runtime-info\/Resource\] /);
  });

  test('an allowed path is not reported, and only that path', () => {
    // GIVEN
    const errors = synthErrors((app) => {
      const db = smallFleet(app).addHelmComponent('db', {
        chart: ChartSource.oci('oci://registry-1.docker.io/bitnamicharts/postgresql', { version: '16.x', signing: Signing.none() }),
        values: { ui: { password: 'shown-on-the-login-page' }, auth: { password: 'hunter2' } },
      });
      allowLiteralValues(db, 'values.ui');
    });
    // THEN
    expect(found(errors)).toStrictEqual(['values.auth.password: a literal value under the credential-like key "password"']);
  });

  test('fails when a component is named after the folder\'s kustomization.yaml', () => {
    // GIVEN
    const errors = synthErrors((app) => {
      smallFleet(app).addComponent('kustomization', { source: ComponentSource.mirroredArtifact('oci://ghcr.io/acme/apps', { repository: 'apps', ref: { tag: '1.0.0' } }) });
    });
    // THEN
    expect(errors).toStrictEqual(['[acme] the name "kustomization" is reserved for the synthesized tree; choose another name']);
  });
});
