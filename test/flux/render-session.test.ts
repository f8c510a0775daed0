import { ApiObject, App, Chart, JsonPatch, Lazy, Testing } from 'cdk8s';
import { ConfigMap } from 'cdk8s-plus-34';
import { buildApp } from '../../examples/fleet/app.js';
import { chartRenderer, RenderSession, renderApiObject } from '../../src/flux/core/render-session.js';
import { OciRepository } from '../../src/index.js';

/** A value with its own `resolve()`, as cdk8s's implicit tokens have. */
class Token {
  public constructor(private readonly v: unknown) {}
  public resolve(): unknown {
    return this.v;
  }
}

/** A class instance carrying a number or string `value`, as cdk8s's number-or-string unions do. */
class Union {
  public constructor(public readonly value: number | string) {}
}

function allApiObjects(app: App): ApiObject[] {
  return app.node.findAll().filter((c): c is ApiObject => ApiObject.isApiObject(c));
}

describe('renderApiObject', () => {
  afterEach(() => {
    delete process.env.CDK8S_DISABLE_SORT;
  });

  test('renders every object of the example fleet exactly as toJson() does, without calling it', () => {
    // GIVEN
    const app = buildApp('unused');
    app.validate();
    const objects = allApiObjects(app);
    const expected = objects.map((o) => o.toJson());
    const toJson = ApiObject.prototype.toJson;
    let calls = 0;
    ApiObject.prototype.toJson = function (this: ApiObject) {
      calls++;
      return toJson.call(this);
    };
    // WHEN
    let rendered: unknown[];
    try {
      rendered = objects.map((o) => renderApiObject(o));
    } finally {
      ApiObject.prototype.toJson = toJson;
    }
    // THEN
    expect(objects.length).toBeGreaterThan(70);
    expect(rendered).toStrictEqual(expected);
    // cdk8s-plus objects render themselves (through cdk8s's toJson()); every plain ApiObject (every Flux object) is
    // rendered here.
    const plain = objects.filter((o) => Object.getPrototypeOf(o) === ApiObject.prototype).length;
    expect(plain).toBeGreaterThan(60);
    expect(calls).toBe(objects.length - plain);
  });

  test('resolves Lazy values, tokens and unions, drops null and undefined, sorts keys and applies patches as toJson() does', () => {
    // GIVEN
    const chart = Testing.chart();
    const o = new ApiObject(chart, 'o', {
      apiVersion: 'v1',
      kind: 'Thing',
      metadata: { name: 'thing', labels: { b: '2', a: '1' }, annotations: {} },
      spec: Lazy.any({ produce: () => ({ zeta: Lazy.any({ produce: () => ({ inner: new Token(Lazy.any({ produce: () => 7 })) }) }), alpha: null }) }),
      zlist: [3, null, undefined, new Union('s'), { y: undefined, x: new Token(null) }],
      empty: { list: [], map: {} },
      data: { b: 'b', a: 'a', c: new Union(4) },
      fn: undefined,
    });
    o.addJsonPatch(JsonPatch.add('/spec/added', 'yes'), JsonPatch.remove('/data/b'));
    // WHEN
    const rendered = renderApiObject(o);
    // THEN
    expect(rendered).toStrictEqual(o.toJson());
    expect(Object.keys(rendered)).toStrictEqual(['apiVersion', 'kind', 'metadata', 'data', 'empty', 'spec', 'zlist']);
    expect(rendered.spec).toStrictEqual({ added: 'yes', zeta: { inner: 7 } });
    expect(rendered.zlist).toStrictEqual([3, undefined, undefined, { value: 's' }, {}]);
  });

  test('renders metadata as toJson() does: chart labels, Lazy values, empty fields dropped, finalizers, owners', () => {
    // GIVEN
    const app = new App();
    const chart = new Chart(app, 'chart', { labels: { team: 'web' }, namespace: 'apps' });
    const o = new ApiObject(chart, 'o', {
      apiVersion: 'v1',
      kind: 'Thing',
      metadata: { name: 'thing', annotations: {}, labels: { z: Lazy.any({ produce: () => 'late' }) as unknown as string }, generateName: 'x-' },
    });
    o.metadata.addFinalizers('keep');
    o.metadata.addOwnerReference({ apiVersion: 'v1', kind: 'Owner', name: 'boss', uid: '1' });
    o.metadata.add('deletionGracePeriodSeconds', Lazy.any({ produce: () => 5 }));
    const bare = new ApiObject(new Chart(app, 'bare'), 'bare', { apiVersion: 'v1', kind: 'Thing', metadata: { name: 'bare', labels: {} } });
    // WHEN
    const rendered = [renderApiObject(o), renderApiObject(bare)];
    // THEN
    expect(rendered).toStrictEqual([o.toJson(), bare.toJson()]);
    expect(rendered[0].metadata).toStrictEqual({
      deletionGracePeriodSeconds: 5,
      finalizers: ['keep'],
      generateName: 'x-',
      labels: { team: 'web', z: 'late' },
      name: 'thing',
      namespace: 'apps',
      ownerReferences: [{ apiVersion: 'v1', kind: 'Owner', name: 'boss', uid: '1' }],
    });
    expect(rendered[1].metadata).toStrictEqual({ name: 'bare' });
  });

  test('keeps the key order when CDK8S_DISABLE_SORT is set, as toJson() does', () => {
    // GIVEN
    process.env.CDK8S_DISABLE_SORT = '1';
    const o = new ApiObject(Testing.chart(), 'o', { apiVersion: 'v1', kind: 'Thing', spec: { b: 1, a: { d: 1, c: 2 } } });
    // WHEN
    const rendered = renderApiObject(o);
    // THEN
    expect(rendered).toStrictEqual(o.toJson());
    expect(Object.keys(rendered.spec)).toStrictEqual(['b', 'a']);
  });

  test('fails as toJson() does on a value it cannot render', () => {
    // GIVEN
    const o = new ApiObject(Testing.chart(), 'o', { apiVersion: 'v1', kind: 'Thing', spec: { when: new Date(0) } });
    // WHEN / THEN
    expect(() => o.toJson()).toThrow(/can't render non-simple object of type 'Date'/);
    expect(() => renderApiObject(o)).toThrow(/Failed serializing construct at path '.*o' with name 'test-o-.*': Error: can't render non-simple object of type 'Date'/);
  });

  test('leaves objects that render themselves, and apps with their own resolvers, to toJson()', () => {
    // GIVEN
    const chart = Testing.chart();
    const configMap = new ConfigMap(chart, 'cm', { metadata: { name: 'cm' }, data: { k: 'v' } });
    const resolving = new App({ resolvers: [{ resolve: (ctx) => { if (ctx.value === 'secret') ctx.replaceValue('resolved'); } }] });
    const o = new ApiObject(new Chart(resolving, 'c'), 'o', { apiVersion: 'v1', kind: 'Thing', spec: { v: 'secret' } });
    // WHEN
    const cm = renderApiObject(ApiObject.of(configMap));
    const custom = renderApiObject(o);
    // THEN
    expect(cm).toStrictEqual(ApiObject.of(configMap).toJson());
    expect(cm.data).toStrictEqual({ k: 'v' });
    expect(custom.spec).toStrictEqual({ v: 'resolved' });
  });
});

describe('RenderSession', () => {
  test('outside a session, renders anew each time, so changes reach the next rendering', () => {
    // GIVEN
    const repo = new OciRepository(Testing.chart(), 'infra', { url: 'oci://ghcr.io/acme/infra' });
    const first = repo.toJson();
    // WHEN
    repo.addJsonPatch(JsonPatch.add('/spec/suspend', true));
    // THEN
    expect(RenderSession.active).toBe(false);
    expect(first.spec.suspend).toBeUndefined();
    expect(repo.toJson().spec.suspend).toBe(true);
    expect(repo.toJson()).not.toBe(repo.toJson());
  });

  test('within a session, renders each object once and gives the same rendering to every caller', () => {
    // GIVEN
    const repo = new OciRepository(Testing.chart(), 'infra', { url: 'oci://ghcr.io/acme/infra' });
    // WHEN
    const [a, b, active] = RenderSession.run(() => [repo.toJson(), RenderSession.toJson(repo.apiObject), RenderSession.active]);
    // THEN
    expect(active).toBe(true);
    expect(a).toBe(b);
    expect(a).toStrictEqual(repo.toJson());
    expect(RenderSession.active).toBe(false);
    expect(repo.toJson()).not.toBe(a);
  });

  test('a nested run joins the running session, and a failure ends it', () => {
    // GIVEN
    const repo = new OciRepository(Testing.chart(), 'infra', { url: 'oci://ghcr.io/acme/infra' });
    // WHEN
    const [outer, inner] = RenderSession.run(() => [repo.toJson(), RenderSession.run(() => repo.toJson())]);
    // THEN
    expect(inner).toBe(outer);
    expect(() => RenderSession.run(() => { throw new Error('boom'); })).toThrow('boom');
    expect(RenderSession.active).toBe(false);
  });
});

describe('chartRenderer', () => {
  function thing(scope: Chart, id: string): ApiObject {
    return new ApiObject(scope, id, { apiVersion: 'v1', kind: 'Thing', metadata: { name: id } });
  }

  test('renders every chart as Chart.toJson() does, each object in construct order', () => {
    // GIVEN
    const app = new App();
    const a = new Chart(app, 'a');
    const b = new Chart(app, 'b');
    thing(a, 'z'); thing(a, 'y'); thing(b, 'x');
    // WHEN
    const render = chartRenderer(app.node.findAll());
    // THEN
    expect(render(a).map((o) => o.metadata.name)).toStrictEqual(['z', 'y']);
    expect([render(a), render(b)]).toStrictEqual([a.toJson(), b.toJson()]);
  });

  test('follows construct dependencies and nested charts as Chart.toJson() does', () => {
    // GIVEN
    const app = new App();
    const parent = new Chart(app, 'parent');
    const child = new Chart(parent, 'child');
    const first = thing(parent, 'first');
    const second = thing(parent, 'second');
    thing(child, 'inner');
    first.addDependency(second);
    // WHEN
    const render = chartRenderer(app.node.findAll());
    // THEN
    expect(render(parent).map((o) => o.metadata.name)).toStrictEqual(['second', 'first']);
    expect([render(parent), render(child)]).toStrictEqual([parent.toJson(), child.toJson()]);
  });
});
