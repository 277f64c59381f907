/**
 * The agent checks every object against its own cluster's API (/openapi/v3 of a real
 * kube-apiserver of the bed) before applying (agent/src/controller/steps/validate.ts): a
 * misspelt Deployment field fails its layer with a message naming the object, the field and the
 * fix, nothing of that layer is applied and the layers after it wait; a custom resource is checked
 * against the CRD of the profile's earlier layer; what a Helm layer renders is checked like any
 * object; the corrected profile is applied as usual.
 * With --validate-schemas=false nothing is checked first: the API server's own refusal fails the layer.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureHelmTools, fixtureChart, packageChart, startAgent, startChartRepo, waitFor } from '@kplane/bed';
import { useAgentBed } from './agentBed.js';
import type { ClusterProfile } from '@kplane/profile';

const NS = 'kplane-system';
const PROFILES = `/apis/kplane.dev/v1alpha1/namespaces/${NS}/clusterprofiles`;

const configMap = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { a: 'b' } });
const deployment = (spec: Record<string, unknown>) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
    ...spec,
  },
});
const gadgetCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'gadgets.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Namespaced',
    names: { kind: 'Gadget', plural: 'gadgets', singular: 'gadget', listKind: 'GadgetList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { color: { type: 'string', enum: ['red', 'blue'] } } } } } },
      },
    ],
  },
};
const gadget = (color: string) => ({ apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g', namespace: 'default' }, spec: { color } });

describe('agent: objects checked against the cluster\'s own API before applying (cluster)', function () {
  const bed = useAgentBed({ cluster: { name: 'agent-validate' }, agentArgs: ['--heartbeat', '2s'] });

  const profile = (name: string, layers: { name: string; manifests: unknown[]; dependsOn?: string[]; wait?: boolean }[]): ClusterProfile =>
    ({ apiVersion: 'kplane.dev/v1alpha1', kind: 'ClusterProfile', metadata: { name, namespace: NS }, spec: { version: '1.0.0', reconcile: { mode: 'enforce', prune: true, interval: '1m' }, layers } }) as ClusterProfile;
  const applyProfile = (p: ClusterProfile) => bed.api.apply(`${PROFILES}/${p.metadata.name}`, p, 'kplane');
  const waitLayers = (name: string, what: string, test: (layers: NonNullable<NonNullable<ClusterProfile['status']>['layers']>) => boolean) =>
    waitFor(async () => {
      const p = await bed.api.request<ClusterProfile>('GET', `${PROFILES}/${name}`);
      const layers = p.status?.layers;
      return p.status?.observedGeneration === p.metadata.generation && layers && test(layers) ? p : undefined;
    }, { what: `profile ${name}: ${what}`, timeoutMs: 60_000, intervalMs: 100 });
  const exists = async (path: string) => (await bed.api.getOrUndefined(path)) !== undefined;

  it('a misspelt Deployment field fails its layer with the field, the fix and the cluster named; the layer before is applied, the one after waits', async function () {
    this.timeout(90_000);
    const layers = (spec: Record<string, unknown>) => [
      { name: 'base', manifests: [configMap('base')] },
      { name: 'app', dependsOn: ['base'], manifests: [configMap('app-config'), deployment(spec)] },
      { name: 'after', dependsOn: ['app'], manifests: [configMap('after')] },
    ];
    await applyProfile(profile('typo', layers({ revisionHistroyLimit: 3 })));
    const p = await waitLayers('typo', 'layer app failed', (l) => l.find((x) => x.name === 'app')?.state === 'Failed');
    const app = p.status!.layers!.find((l) => l.name === 'app')!;
    assert.match(
      app.message ?? '',
      /^Deployment default\/web: spec\.revisionHistroyLimit: Deployment has no field "revisionHistroyLimit" in spec: did you mean "revisionHistoryLimit"\? The API server of this cluster \(Kubernetes 1\.\d+\.\d+\) would refuse it; nothing of this layer was applied: fix the profile\.$/,
    );
    assert.deepEqual(p.status!.layers!.map((l) => [l.name, l.state]), [['base', 'Ready'], ['app', 'Failed'], ['after', 'Pending']]);
    assert.equal(await exists('/api/v1/namespaces/default/configmaps/base'), true, 'the layer before the invalid one was not applied');
    assert.equal(await exists('/api/v1/namespaces/default/configmaps/app-config'), false, 'an object of the refused layer was applied');
    assert.equal(await exists('/apis/apps/v1/namespaces/default/deployments/web'), false, 'the invalid Deployment was applied');
    assert.equal(await exists('/api/v1/namespaces/default/configmaps/after'), false, 'a layer after the refused one was applied');

    // The valid profile is unaffected: every layer is applied.
    await applyProfile(profile('typo', layers({ revisionHistoryLimit: 3 })));
    const fixed = await waitLayers('typo', 'every layer Ready', (l) => l.every((x) => x.state === 'Ready'));
    assert.deepEqual(fixed.status!.layers!.map((l) => l.name), ['base', 'app', 'after']);
    const live = await bed.api.request<{ spec: { revisionHistoryLimit: number } }>('GET', '/apis/apps/v1/namespaces/default/deployments/web');
    assert.equal(live.spec.revisionHistoryLimit, 3);
    assert.equal(await exists('/api/v1/namespaces/default/configmaps/after'), true);
    assert.doesNotMatch(bed.agent.logs(), /without checking them first/, 'the agent could not read its cluster\'s schemas');
  });

  it('a custom resource is checked against the CRD of an earlier layer of the same profile (enum), and applied once it is valid', async function () {
    this.timeout(90_000);
    const layers = (color: string) => [
      { name: 'crds', wait: true, manifests: [gadgetCrd] },
      { name: 'gadgets', dependsOn: ['crds'], manifests: [gadget(color)] },
    ];
    await applyProfile(profile('gadgets', layers('green')));
    const p = await waitLayers('gadgets', 'layer gadgets failed', (l) => l.find((x) => x.name === 'gadgets')?.state === 'Failed');
    assert.match(p.status!.layers!.find((l) => l.name === 'gadgets')!.message ?? '', /^Gadget default\/g: spec\.color: .*"green".*red, blue.*nothing of this layer was applied: fix the profile\.$/);
    assert.equal(p.status!.layers!.find((l) => l.name === 'crds')!.state, 'Ready');
    assert.equal(await exists('/apis/example.com/v1/namespaces/default/gadgets/g'), false);

    await applyProfile(profile('gadgets', layers('blue')));
    await waitLayers('gadgets', 'every layer Ready', (l) => l.every((x) => x.state === 'Ready'));
    assert.equal(await exists('/apis/example.com/v1/namespaces/default/gadgets/g'), true);
  });

  it('what a Helm layer renders is checked too: a label value the chart writes from the values fails the layer, naming the rendered object and field', async function () {
    this.timeout(180_000);
    await ensureHelmTools();
    const repo = await startChartRepo({ name: 'agent-validate-charts' });
    try {
      await repo.add(await packageChart(fixtureChart('gateway'), await mkdtemp(join(tmpdir(), 'kplane-agent-validate-'))));
      const chartProfile = (team: string) =>
        ({ ...profile('chart', []), spec: { version: '1.0.0', reconcile: { mode: 'enforce', prune: true, interval: '1m' }, layers: [{ name: 'gw', namespace: 'gateway', helm: { repo: repo.url, chart: 'gateway', version: '0.3.0', values: { extraLabels: { team } } } }] } }) as ClusterProfile;
      await applyProfile(chartProfile('not a label!'));
      const p = await waitLayers('chart', 'layer gw failed', (l) => l.find((x) => x.name === 'gw')?.state === 'Failed');
      assert.match(p.status!.layers!.find((l) => l.name === 'gw')!.message ?? '', /^Deployment gateway\/gw-gateway: metadata\.labels\.team: .*"not a label!".* The API server of this cluster \(Kubernetes 1\.\d+\.\d+\) would refuse it; nothing of this layer was applied: fix the profile\.$/);
      assert.equal(await exists('/apis/apps/v1/namespaces/gateway/deployments/gw-gateway'), false, 'the invalid Deployment was applied');
    } finally {
      await repo.stop();
    }
  });

  it('--validate-schemas=false: nothing is checked before applying; the API server\'s own refusal fails the layer', async function () {
    this.timeout(90_000);
    await bed.agent.stop();
    bed.agent = await startAgent({ kubeconfigPath: bed.cluster.kubeconfigPath, args: ['--heartbeat', '2s', '--validate-schemas=false'] });
    await applyProfile(profile('unchecked', [
      { name: 'base', manifests: [configMap('unchecked-base')] },
      { name: 'app', dependsOn: ['base'], manifests: [{ ...deployment({ revisionHistroyLimit: 3 }), metadata: { name: 'unchecked', namespace: 'default' } }] },
    ]));
    const p = await waitLayers('unchecked', 'layer app failed', (l) => l.find((x) => x.name === 'app')?.state === 'Failed');
    const message = p.status!.layers!.find((l) => l.name === 'app')!.message ?? '';
    assert.doesNotMatch(message, /would refuse/, 'the agent checked the object although --validate-schemas=false');
    assert.match(message, /revisionHistroyLimit/, 'the API server\'s refusal names the field');
    assert.equal(await exists('/api/v1/namespaces/default/configmaps/unchecked-base'), true);
    assert.match(bed.agent.logs(), /"schemaValidation":"off"/);
  });
});
