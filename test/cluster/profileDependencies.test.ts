/**
 * Real stacks on a real kube-apiserver with the agent: a profile whose custom resources need the
 * CRDs of another profile waits for it (spec.dependsOn) and then becomes Ready; `*List` kinds are
 * applied as their items; `${…}` that is no variable is applied as text; an invalid spec's
 * condition names each distinct problem once, with a count.
 */
import assert from 'node:assert/strict';
import { waitFor } from '@kplane/bed';
import { useAgentBed } from './agentBed.js';
import type { ClusterProfile, Condition } from '@kplane/profile';

const NS = 'kplane-system';
const PROFILES = `/apis/kplane.dev/v1alpha1/namespaces/${NS}/clusterprofiles`;

const profile = (name: string, spec: Partial<ClusterProfile['spec']>): ClusterProfile =>
  ({ apiVersion: 'kplane.dev/v1alpha1', kind: 'ClusterProfile', metadata: { name, namespace: NS }, spec: { version: '1.0.0', ...spec } }) as ClusterProfile;

const widgetCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Namespaced',
    names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } } }],
  },
};

/** The stack's custom resources and a dashboard, the way upstream manifests ship them: in lists. */
const appProfile = () =>
  profile('app', {
    dependsOn: ['crds'],
    // Only a change of "crds" can make this profile look again before the resync.
    reconcile: { interval: '10m' },
    layers: [
      {
        name: 'widgets',
        namespace: 'default',
        manifests: [
          { apiVersion: 'v1', kind: 'List', metadata: {}, items: [{ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'small' }, spec: { size: 1 } }, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'large' }, spec: { size: 9 } }] },
          {
            apiVersion: 'v1',
            kind: 'ConfigMapList',
            items: [{ metadata: { name: 'dashboard' }, data: { 'pods.json': '{"title":"${__data.fields.Pod}","ds":"${datasource:queryparam}"}', 'ping.sh': 'echo "PONG ${1}"' } }],
          },
        ] as unknown as ClusterProfile['spec']['layers'][number]['manifests'],
      },
    ],
  });

describe('real stacks (cluster): dependencies between profiles, lists, ${…} as text', function () {
  const bed = useAgentBed({ cluster: { name: 'stacks' }, agentArgs: ['--heartbeat', '2s'] });

  const getProfile = (name: string) => bed.api.request<ClusterProfile>('GET', `${PROFILES}/${name}`);
  const apply = (p: ClusterProfile) => bed.api.apply(`${PROFILES}/${p.metadata.name}`, p, 'kplane');
  const condition = (p: ClusterProfile, type: string): Condition | undefined => p.status?.conditions?.find((c) => c.type === type);
  const waitProfile = (name: string, what: string, test: (p: ClusterProfile) => boolean, timeoutMs = 60_000) =>
    waitFor(async () => {
      const p = await getProfile(name).catch(() => undefined);
      return p && test(p) ? p : undefined;
    }, { what: `profile ${name}: ${what}`, timeoutMs, intervalMs: 100 });
  const ready = (p: ClusterProfile) => condition(p, 'Ready')?.status === 'True' && p.status?.observedGeneration === p.metadata.generation;

  it('a profile that depends on another waits for it (saying so), then both become Ready; lists are applied as their items', async function () {
    this.timeout(180_000);
    await apply(appProfile());
    const waiting = await waitProfile('app', 'Ready=False DependencyNotReady', (p) => condition(p, 'Ready')?.reason === 'DependencyNotReady');
    assert.equal(condition(waiting, 'Ready')?.status, 'False');
    assert.match(condition(waiting, 'Ready')!.message, /Waiting for profile "crds" \(not found\) to be Ready/);
    assert.equal(condition(waiting, 'SpecValid')?.status, 'True');
    assert.equal(await bed.api.getOrUndefined('/api/v1/namespaces/default/configmaps/dashboard'), undefined, 'a waiting profile applied something');

    await apply(profile('crds', { layers: [{ name: 'crds', wait: true, manifests: [widgetCrd as never] }] }));
    const crds = await waitProfile('crds', 'Ready', ready);
    const app = await waitProfile('app', 'Ready (long before its 10m resync)', ready, 60_000);
    assert.ok(new Date(condition(app, 'Ready')!.lastTransitionTime) >= new Date(condition(crds, 'Ready')!.lastTransitionTime));
    assert.equal(app.status?.resources?.total, 3);
    const widgets = await bed.api.request<{ items: { metadata: { name: string }; spec: { size: number } }[] }>('GET', '/apis/example.com/v1/namespaces/default/widgets');
    assert.deepEqual(widgets.items.map((w) => [w.metadata.name, w.spec.size]).sort(), [['large', 9], ['small', 1]]);
    const dashboard = await bed.api.request<{ data: Record<string, string> }>('GET', '/api/v1/namespaces/default/configmaps/dashboard');
    assert.deepEqual(dashboard.data, { 'pods.json': '{"title":"${__data.fields.Pod}","ds":"${datasource:queryparam}"}', 'ping.sh': 'echo "PONG ${1}"' });
  });

  it('an invalid spec names each distinct problem once, with a count', async function () {
    this.timeout(120_000);
    const data = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`panel-${i}`, `{"ds":"\${datasource}","n":"\${${i % 2 ? 'node' : 'datasource'}}","t":"\${__from:date}"}`]));
    await apply(profile('dashboards', { layers: [{ name: 'd', namespace: 'default', manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dashboards' }, data } as never] }] }));
    const p = await waitProfile('dashboards', 'SpecValid=False', (x) => condition(x, 'SpecValid')?.status === 'False');
    const message = condition(p, 'SpecValid')!.message;
    assert.match(message, /^18× "\$\{datasource\}" names no declared variable.*\(first at spec\.layers\[0\]\.manifests\[0\]\.data\.panel-0\); 6× "\$\{node\}" names no declared variable/);
    assert.equal(message.match(/datasource\}" names/g)?.length, 1, message);
    assert.doesNotMatch(message, /__from/);
  });
});
