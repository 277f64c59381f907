/**
 * Health of every kind on a real kube-apiserver: a `wait: true` layer holds the layers after it
 * while an object's own status says it is not healthy, names the object and why, and lets go
 * once the status changes (seen through the agent's watch of that kind, whatever the kind).
 */
import assert from 'node:assert/strict';
import { waitFor } from '@kplane/bed';
import { useAgentBed } from './agentBed.js';
import type { ClusterProfile, Condition, LayerStatus } from '@kplane/profile';

const NS = 'kplane-system';
const PROFILES = `/apis/kplane.dev/v1alpha1/namespaces/${NS}/clusterprofiles`;
const AGENT = `/apis/kplane.dev/v1alpha1/namespaces/${NS}/clusteragents/agent`;
const GROUP = 'health.kplane.test';

const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `widgets.${GROUP}` },
  spec: {
    group: GROUP,
    scope: 'Namespaced',
    names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } },
      },
    ],
  },
};
const widget = { apiVersion: `${GROUP}/v1`, kind: 'Widget', metadata: { name: 'w1', namespace: NS }, spec: { size: 3 } };
const marker = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NS }, data: { after: 'healthy' } });

function profile(name: string, layers: ClusterProfile['spec']['layers']): ClusterProfile {
  return { apiVersion: 'kplane.dev/v1alpha1', kind: 'ClusterProfile', metadata: { name, namespace: NS }, spec: { version: '1.0.0', reconcile: { mode: 'enforce', prune: true, interval: '1m' }, layers } } as ClusterProfile;
}

describe('agent health of every kind (cluster)', function () {
  const bed = useAgentBed({
    cluster: { name: 'agent-health' },
    // A heartbeat far beyond the test: ClusterAgent counts can only follow the profiles at once.
    agentArgs: ['--heartbeat', '10m'],
    setupTimeoutMs: 240_000,
  });
  const getProfile = (name: string) => bed.api.request<ClusterProfile>('GET', `${PROFILES}/${name}`);
  const condition = (p: ClusterProfile, type: string): Condition | undefined => p.status?.conditions?.find((c) => c.type === type);
  const layer = (p: ClusterProfile, name: string): LayerStatus | undefined => p.status?.layers?.find((l) => l.name === name);
  const waitProfile = (name: string, what: string, test: (p: ClusterProfile) => boolean, timeoutMs = 60_000) =>
    waitFor(async () => {
      const p = await getProfile(name);
      return p.status?.observedGeneration === p.metadata.generation && test(p) ? p : undefined;
    }, { what: `profile ${name}: ${what}`, timeoutMs, intervalMs: 100 });
  const cmExists = async (name: string) => !!(await bed.api.getOrUndefined(`/api/v1/namespaces/${NS}/configmaps/${name}`));

  it('keeps a layer with an APIService whose Service is missing not Ready, and says why', async () => {
    const apiService = {
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: `v1alpha1.${GROUP}` },
      spec: { group: GROUP, version: 'v1alpha1', service: { namespace: NS, name: 'missing' }, insecureSkipTLSVerify: true, groupPriorityMinimum: 100, versionPriority: 10 },
    };
    await bed.api.apply(`${PROFILES}/aggregated`, profile('aggregated', [
      { name: 'api', wait: true, manifests: [apiService as any] },
      { name: 'after', dependsOn: ['api'], manifests: [marker('after-api') as any] },
    ]), 'kplane');
    const p = await waitProfile('aggregated', 'layer api waits on the APIService', (x) => layer(x, 'api')?.state === 'Waiting' && /ServiceNotFound/.test(layer(x, 'api')?.message ?? ''));
    const message = layer(p, 'api')!.message!;
    assert.match(message, new RegExp(`APIService v1alpha1\\.${GROUP.replace(/\./g, '\\.')}: Available=False \\(ServiceNotFound\\)`));
    assert.match(message, /missing/);
    assert.equal(layer(p, 'after')?.state, 'Pending');
    assert.equal(condition(p, 'Ready')?.status, 'False');
    assert.equal(condition(p, 'Ready')?.reason, 'Progressing');
    assert.equal(await cmExists('after-api'), false, 'the layer after the unhealthy APIService was applied');

    await bed.api.request('DELETE', `${PROFILES}/aggregated`);
    await waitFor(async () => !(await bed.api.getOrUndefined(`${PROFILES}/aggregated`)), { what: 'profile aggregated deleted', timeoutMs: 30_000 });
    assert.equal(await bed.api.getOrUndefined(`/apis/apiregistration.k8s.io/v1/apiservices/v1alpha1.${GROUP}`), undefined);
  });

  it('keeps a layer with a custom resource reporting Ready=False not Ready, and lets go when it turns True', async () => {
    // The Widget exists with its controller's status before the profile adopts it, which the
    // cluster's local policy must allow (agent/src/core/policy.ts: adoption is off by default).
    await bed.api.apply(`/api/v1/namespaces/${NS}/configmaps/kplane-policy`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kplane-policy', namespace: NS }, data: { 'policy.yaml': 'adoptExisting: true\npodSecurity: privileged\nkinds: { allow: ["*", CustomResourceDefinition] }\n' } }, 'cluster-admin');
    await bed.api.apply(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`, crd, 'test');
    await waitFor(async () => (await bed.api.getOrUndefined<any>(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`))?.status?.conditions?.some((c: any) => c.type === 'Established' && c.status === 'True'), { what: 'CRD established', timeoutMs: 30_000 });
    const widgetPath = `/apis/${GROUP}/v1/namespaces/${NS}/widgets/w1`;
    await waitFor(async () => bed.api.apply(widgetPath, widget, 'test').then(() => true, () => false), { what: 'widget created', timeoutMs: 30_000 });
    const setReady = (status: 'True' | 'False', reason: string, message: string) =>
      bed.api.request('PATCH', `${widgetPath}/status`, { body: { status: { conditions: [{ type: 'Ready', status, reason, message, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }] } }, contentType: 'application/merge-patch+json' });
    await setReady('False', 'Provisioning', 'waiting for a disk');

    await bed.api.apply(`${PROFILES}/widgets`, profile('widgets', [
      { name: 'crds', wait: true, manifests: [crd as any] },
      { name: 'widgets', dependsOn: ['crds'], wait: true, manifests: [widget as any] },
      { name: 'after', dependsOn: ['widgets'], manifests: [marker('after-widgets') as any] },
    ]), 'kplane');
    const p = await waitProfile('widgets', 'layer widgets waits on the Widget', (x) => layer(x, 'widgets')?.state === 'Waiting');
    assert.match(layer(p, 'widgets')!.message!, /Widget kplane-system\/w1: Ready=False \(Provisioning\): waiting for a disk/);
    assert.equal(layer(p, 'crds')?.state, 'Ready');
    assert.equal(condition(p, 'Ready')?.status, 'False');
    assert.equal(await cmExists('after-widgets'), false, 'the layer after the unhealthy Widget was applied');
    const counts = (want: { total: number; ready: number }) =>
      waitFor(async () => {
        const a = await bed.api.request<any>('GET', AGENT);
        return a.status?.profiles?.total === want.total && a.status?.profiles?.ready === want.ready;
      }, { what: `ClusterAgent counts ${JSON.stringify(want)} (heartbeat is 10m)`, timeoutMs: 20_000, intervalMs: 100 }).catch(async (err) => {
        throw new Error(`${(err as Error).message}; ClusterAgent status: ${JSON.stringify((await bed.api.request<any>('GET', AGENT)).status?.profiles)}`);
      });
    await counts({ total: 1, ready: 0 });

    await setReady('True', 'Provisioned', 'disk attached');
    const ready = await waitProfile('widgets', 'Ready once the Widget is', (x) => condition(x, 'Ready')?.status === 'True', 30_000);
    assert.deepEqual(ready.status?.layers?.map((l) => [l.name, l.state]), [['crds', 'Ready'], ['widgets', 'Ready'], ['after', 'Ready']]);
    assert.equal(await cmExists('after-widgets'), true);
    await counts({ total: 1, ready: 1 });
  });
});
