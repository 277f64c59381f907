/**
 * One reading of `helm template` output (profile/src/helmOutput.ts): which phase each object is
 * applied in, which hooks kplane does not run, the template and the namespace, and the agent
 * (which applies the chart) and the editor (which checks it) agreeing on it.
 */
import { strict as assert } from 'node:assert';
import { splitChartOutput } from '@kplane/agent/core';
import { renderedObjects } from '@kplane/language-server/helm-charts';
import { chartPlacement, chartTemplateSource, inReleaseNamespace, type Manifest } from '@kplane/profile';

const object = (kind: string, name: string, annotations?: Record<string, unknown>, apiVersion = 'v1'): Manifest =>
  ({ apiVersion, kind, metadata: { name, ...(annotations ? { annotations } : {}) } }) as Manifest;

describe('helm output: one reading for the agent and the editor', () => {
  it('places objects: CRDs first, the chart\'s objects, pre and post hooks with weight and delete policies', () => {
    assert.deepEqual(chartPlacement(object('CustomResourceDefinition', 'widgets.example.com', undefined, 'apiextensions.k8s.io/v1')), { phase: 'crds' });
    // A kind named so in another group is no CRD.
    assert.deepEqual(chartPlacement(object('CustomResourceDefinition', 'x', undefined, 'example.com/v1')), { phase: 'main' });
    assert.deepEqual(chartPlacement(object('ConfigMap', 'settings')), { phase: 'main' });
    assert.deepEqual(chartPlacement(object('Job', 'migrate', { 'helm.sh/hook': 'pre-upgrade', 'helm.sh/hook-weight': '5', 'helm.sh/hook-delete-policy': 'hook-succeeded, hook-failed' })), {
      phase: 'pre',
      weight: 5,
      deletePolicies: ['hook-succeeded', 'hook-failed'],
    });
    assert.deepEqual(chartPlacement(object('ConfigMap', 'post', { 'helm.sh/hook': 'post-install,post-upgrade', 'helm.sh/hook-weight': 'heavy' })), { phase: 'post', weight: 0, deletePolicies: ['before-hook-creation'] });
    // Pre wins when a hook names both, as the agent always did.
    assert.equal((chartPlacement(object('Job', 'both', { 'helm.sh/hook': 'post-install, pre-install' })) as { phase: string }).phase, 'pre');
  });

  it('skips test, delete and rollback hooks, naming the hook; an empty or non-string helm.sh/hook is no hook', () => {
    assert.deepEqual(chartPlacement(object('Pod', 'smoke', { 'helm.sh/hook': 'test' })), { skipped: 'helm.sh/hook test is not run by kplane' });
    assert.deepEqual(chartPlacement(object('Job', 'cleanup', { 'helm.sh/hook': 'pre-delete,post-rollback' })), { skipped: 'helm.sh/hook pre-delete,post-rollback is not run by kplane' });
    assert.deepEqual(chartPlacement(object('ConfigMap', 'empty', { 'helm.sh/hook': '' })), { phase: 'main' });
    assert.deepEqual(chartPlacement(object('ConfigMap', 'odd', { 'helm.sh/hook': 3 })), { phase: 'main' });
    assert.deepEqual(chartPlacement({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'odd', annotations: 'x' } } as unknown as Manifest), { phase: 'main' });
  });

  it('reads the template from helm\'s Source comment', () => {
    assert.equal(chartTemplateSource(' Source: web/templates/deployment.yaml\n'), 'web/templates/deployment.yaml');
    assert.equal(chartTemplateSource('just a comment'), undefined);
  });

  it('puts namespaced objects without a namespace in the release namespace, and nothing else', () => {
    assert.equal(inReleaseNamespace(object('ConfigMap', 'a'), 'edge').metadata.namespace, 'edge');
    assert.equal(inReleaseNamespace({ ...object('ConfigMap', 'a'), metadata: { name: 'a', namespace: 'own' } }, 'edge').metadata.namespace, 'own');
    for (const m of [object('ClusterRole', 'r', undefined, 'rbac.authorization.k8s.io/v1'), object('Namespace', 'n'), object('CustomResourceDefinition', 'w.example.com', undefined, 'apiextensions.k8s.io/v1')]) {
      assert.equal(inReleaseNamespace(m, 'edge').metadata.namespace, undefined, m.kind);
    }
    // Discovery (the agent's) decides for kinds the built-in list does not know.
    assert.equal(inReleaseNamespace(object('Widget', 'w', undefined, 'example.com/v1'), 'edge', () => true).metadata.namespace, undefined);
    const input = object('ConfigMap', 'a');
    inReleaseNamespace(input, 'edge');
    assert.equal(input.metadata.namespace, undefined, 'the input is not changed');
  });

  it('the agent applies exactly the objects the editor checks', () => {
    const output = [
      ['web/templates/hooks.yaml', 'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-install\n'],
      ['web/templates/hooks.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: smoke\n  annotations:\n    helm.sh/hook: test\n'],
      ['web/templates/hooks.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: unhooked\n  annotations:\n    helm.sh/hook: ""\n'],
      ['web/templates/rbac.yaml', 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\n'],
      ['web/templates/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: own\n'],
    ]
      .map(([source, body]) => `---\n# Source: ${source}\n${body}`)
      .join('');
    const agent = splitChartOutput(output).render!;
    const editor = renderedObjects(output, 'edge');
    const key = (m: Manifest, source?: string) => `${m.kind}/${m.metadata.name} ${source}`;
    assert.deepEqual(editor.map((o) => key(o.manifest, o.source)).sort(), agent.objects.map((o) => key(o.manifest, o.source)).sort());
    assert.deepEqual(agent.skipped.map((s) => s.name), ['smoke']);
    assert.deepEqual(editor.map((o) => `${o.manifest.metadata.name}:${o.manifest.metadata.namespace}`), ['migrate:edge', 'unhooked:edge', 'reader:undefined', 'settings:own']);
  });
});
