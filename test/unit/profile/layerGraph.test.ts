import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { formatPath, layerGraph, validateProfile, type LayerNode, type RenderedLayer } from '@kplane/profile';
import { planLayers } from '@kplane/agent/core';

const node = (name: string, dependsOn: string[] = []): LayerNode => ({ name, dependsOn });
const names = (layers: readonly LayerNode[], order: number[]) => order.map((i) => layers[i].name);

describe('profile: layer graph (one set of rules for validation and the agent)', () => {
  it('keeps list order when nothing depends on anything', () => {
    const layers = [node('a'), node('b'), node('c')];
    const graph = layerGraph(layers);
    assert.deepEqual(names(layers, graph.order), ['a', 'b', 'c']);
    assert.deepEqual(graph.problems, []);
  });

  it('puts a layer after the layers it depends on, otherwise list order', () => {
    const layers = [node('app', ['crds']), node('crds'), node('extra')];
    assert.deepEqual(names(layers, layerGraph(layers).order), ['crds', 'app', 'extra']);
  });

  it('names a missing layer, with the layers that exist', () => {
    const { problems } = layerGraph([node('base'), node('web', ['base', 'cache'])]);
    assert.deepEqual(problems, [
      { code: 'UNKNOWN_LAYER', message: 'dependsOn names "cache", but no layer has that name: use one of base, or remove it.', layer: 1, entry: 1, data: { layer: 'cache' } },
    ]);
    assert.equal(layerGraph([node('web', ['cache'])]).problems[0].message, 'dependsOn names "cache", but no layer has that name: remove it.');
  });

  it('reports a layer that depends on itself once, not also as a cycle', () => {
    const { problems, order } = layerGraph([node('base'), node('web', ['base', 'web'])]);
    assert.deepEqual(problems, [{ code: 'DEPENDS_ON_SELF', message: 'Layer "web" depends on itself: remove "web" from its dependsOn.', layer: 1, entry: 1, data: { layer: 'web' } }]);
    assert.deepEqual(order, [0, 1]);
  });

  it('reports a cycle once, on the entry that closes it, naming the layers in order', () => {
    const layers = [node('a', ['c']), node('b', ['a']), node('c', ['b']), node('d', ['a'])];
    const { problems, order } = layerGraph(layers);
    assert.deepEqual(problems, [
      { code: 'DEPENDENCY_CYCLE', message: 'Layers depend on each other in a cycle: a → c → b → a. Remove one of these dependsOn entries.', layer: 1, entry: 0, data: { cycle: 'a → c → b → a' } },
    ]);
    assert.deepEqual(order, [], 'no layer of (or after) a cycle can be ordered');
  });

  it('reports two separate cycles, each once', () => {
    const { problems } = layerGraph([node('a', ['b']), node('b', ['a']), node('c', ['d']), node('d', ['c'])]);
    assert.deepEqual(
      problems.map((p) => p.data),
      [{ cycle: 'a → b → a' }, { cycle: 'c → d → c' }],
    );
  });

  it('only the first layer of a duplicated name is a dependency target; nameless layers still get ordered', () => {
    const layers: LayerNode[] = [node('web', ['db']), node('db'), node('db', ['web']), { dependsOn: ['web', undefined] }];
    const graph = layerGraph(layers);
    assert.deepEqual(graph.problems, []);
    assert.deepEqual(graph.order, [1, 0, 2, 3]);
  });

  it('handles a chain of 20,000 layers without overflowing the stack, closed or open', () => {
    const closed = Array.from({ length: 20_000 }, (_, i) => node(`l${i}`, i ? [`l${i - 1}`] : [`l${19_999}`]));
    const { problems } = layerGraph(closed);
    assert.equal(problems.length, 1);
    assert.equal(problems[0].code, 'DEPENDENCY_CYCLE');
    // Listed last to first: each layer becomes ready only after the one listed after it.
    const open = Array.from({ length: 20_000 }, (_, i) => node(`l${i}`, i < 19_999 ? [`l${i + 1}`] : []));
    const graph = layerGraph(open);
    assert.deepEqual(graph.problems, []);
    assert.deepEqual(graph.order, open.map((_, i) => 19_999 - i));
  });

  it('takes the first ready layer in list order, also when several become ready at once', () => {
    const layers = [node('d', ['a']), node('c', ['a']), node('a'), node('b', ['a']), node('e')];
    assert.deepEqual(names(layers, layerGraph(layers).order), ['a', 'd', 'c', 'b', 'e']);
  });

  it('always orders dependencies first, and every layer exactly once (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.nat(7), { maxLength: 3 }), { minLength: 1, maxLength: 8 }), (deps) => {
        // Only backward edges, so the graph is acyclic whatever the shuffle.
        const layers = deps.map((d, i) => node(`l${i}`, i ? [...new Set(d.map((x) => `l${x % i}`))] : [])).reverse();
        const graph = layerGraph(layers);
        assert.deepEqual(graph.problems, []);
        assert.deepEqual([...graph.order].sort((a, b) => a - b), layers.map((_, i) => i));
        const order = names(layers, graph.order);
        for (const l of layers) for (const dep of l.dependsOn) assert.ok(order.indexOf(dep) < order.indexOf(l.name));
      }),
    );
  });

  it('validation and the agent plan report the same problems with the same messages, at the same place', () => {
    const spec = {
      version: '1.0.0',
      layers: [
        { name: 'a', dependsOn: ['b'], manifests: [] },
        { name: 'b', dependsOn: ['a', 'b'], manifests: [] },
        { name: 'c', dependsOn: ['nope'], manifests: [] },
      ],
    };
    const doc = { apiVersion: 'kplane.dev/v1alpha1', kind: 'ClusterProfile', metadata: { name: 'x', namespace: 'kplane-system' }, spec };
    const graphCodes = new Set(['UNKNOWN_LAYER', 'DEPENDS_ON_SELF', 'DEPENDENCY_CYCLE']);
    const fromValidation = validateProfile(doc)
      .filter((f) => graphCodes.has(f.code))
      .map((f) => `${formatPath(f.path)}: ${f.message}`);
    const rendered: RenderedLayer[] = spec.layers.map((l) => ({ name: l.name, dependsOn: l.dependsOn, wait: false, manifests: [] }));
    const fromPlan = planLayers(rendered).problems;
    assert.equal(fromValidation.length, 3);
    assert.deepEqual(fromPlan, fromValidation);
  });
});
