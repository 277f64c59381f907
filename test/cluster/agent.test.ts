/**
 * The agent against a real kube-apiserver (with controller-manager, scheduler and KWOK nodes, so
 * Deployments really become available): apply in layer order with health waits, drift
 * correction, pruning, pause, upgrade, invalid specs, monitor mode, scaling, status/event log
 * continuity across a restart, and deletion. One cluster and one agent for the whole file.
 */
import assert from 'node:assert/strict';
import { waitFor, startAgent } from '@kplane/bed';
import { KubeError } from '@kplane/kube';
import { applyAndWaitReady, conditionOf as condition, isReady as ready, useAgentBed, waitForProfile } from './agentBed.js';
import type { ClusterAgent, ClusterProfile } from '@kplane/profile';

const NS = 'kplane-system';
const PROFILES = `/apis/kplane.dev/v1alpha1/namespaces/${NS}/clusterprofiles`;
const AGENT = `/apis/kplane.dev/v1alpha1/namespaces/${NS}/clusteragents/agent`;
const SECRET = 'pa55-w0rd-do-not-leak';

const deployment = (name: string, replicas: number | string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image: 'nginx:1.27' }] } },
    ...extra,
  },
});
const configMap = (name: string, data: Record<string, string>, namespace?: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ...(namespace ? { namespace } : {}) },
  data,
});

function appProfile(version: string, opts: { paused?: boolean; extra?: boolean; webReplicas?: number } = {}): ClusterProfile {
  return {
    apiVersion: 'kplane.dev/v1alpha1',
    kind: 'ClusterProfile',
    metadata: { name: 'app', namespace: NS },
    spec: {
      version,
      paused: opts.paused ?? false,
      reconcile: { mode: 'enforce', prune: true, interval: '1m' },
      variables: [
        { name: 'token', type: 'string', sensitive: true },
        { name: 'color', type: 'string', default: 'blue' },
      ],
      values: { token: SECRET, color: version === '1.0.0' ? 'blue' : 'green' },
      layers: [
        {
          name: 'base',
          manifests: [
            // Deleted with the profile only because it opts in (a Namespace takes everything in it along).
            { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app', annotations: { 'kplane.dev/prune': 'true' } } },
            configMap('settings', { color: '${color}', token: '${token}' }, 'app'),
            ...(opts.extra !== false ? [configMap('extra', { keep: 'until 1.1.0' }, 'app')] : []),
          ],
        },
        { name: 'web', dependsOn: ['base'], namespace: 'app', wait: true, manifests: [deployment('web', opts.webReplicas ?? 1) as any] },
        { name: 'after', dependsOn: ['web'], namespace: 'app', manifests: [configMap('after-web', { version })] },
      ],
    },
  } as ClusterProfile;
}

describe('agent (cluster)', function () {
  const bed = useAgentBed({ cluster: { name: 'agent', workloads: true, nodes: 1 }, agentArgs: ['--heartbeat', '2s', '--scaling-period', '500ms'], setupTimeoutMs: 240_000 });

  const getProfile = (name: string) => bed.api.request<ClusterProfile>('GET', `${PROFILES}/${name}`);
  const applyProfile = (p: ClusterProfile) => bed.api.apply(`${PROFILES}/${p.metadata.name}`, p, 'kplane');
  const getCm = (ns: string, name: string) => bed.api.getOrUndefined<{ data?: Record<string, string>; metadata: any }>(`/api/v1/namespaces/${ns}/configmaps/${name}`);
  const waitProfile = (name: string, what: string, test: (p: ClusterProfile) => boolean, timeoutMs = 60_000) => waitForProfile(bed.api, name, what, test, { timeoutMs, intervalMs: 100 });

  it('applies layer by layer, waiting for the Deployment before the next layer, and labels and inventories everything', async () => {
    await applyProfile(appProfile('1.0.0'));
    // Whenever the last layer's object exists, the Deployment it waits on must already be available.
    let sawAfter = false;
    await waitFor(async () => {
      const after = await getCm('app', 'after-web');
      if (!after) return false;
      const web = await bed.api.request('GET', '/apis/apps/v1/namespaces/app/deployments/web');
      assert.ok((web.status?.availableReplicas ?? 0) >= 1, 'layer "after" was applied before layer "web" was healthy');
      sawAfter = true;
      return true;
    }, { what: 'layer "after" applied', timeoutMs: 90_000, intervalMs: 50 });
    assert.ok(sawAfter);
    const p = await waitProfile('app', 'Ready', ready);
    assert.equal(p.status?.appliedVersion, '1.0.0');
    assert.deepEqual(p.status?.layers?.map((l) => [l.name, l.state]), [['base', 'Ready'], ['web', 'Ready'], ['after', 'Ready']]);
    assert.equal(p.status?.resources?.total, 5);
    assert.ok(p.metadata.finalizers?.includes('kplane.dev/cleanup'));
    const settings = await getCm('app', 'settings');
    assert.equal(settings?.data?.color, 'blue');
    assert.equal(settings?.metadata.labels['app.kubernetes.io/managed-by'], 'kplane-agent');
    assert.equal(settings?.metadata.labels['kplane.dev/profile'], 'app');
    assert.equal(settings?.metadata.labels['kplane.dev/layer'], 'base');
    assert.ok(settings?.metadata.managedFields.some((f: any) => f.manager === 'kplane-agent' && f.operation === 'Apply'));
    const inventory = JSON.parse((await getCm(NS, 'kplane-inventory-app'))!.data!.objects);
    assert.deepEqual(inventory.map((e: any) => e.name).sort(), ['after-web', 'app', 'extra', 'settings', 'web']);
  });

  it('reports itself in ClusterAgent status: heartbeat, versions, nodes, profile counts; profile status is not rewritten when nothing changed', async () => {
    const quiet = (await getProfile('app')).metadata.resourceVersion;
    const first = await bed.api.request<ClusterAgent>('GET', AGENT);
    const next = await waitFor(async () => {
      const a = await bed.api.request<ClusterAgent>('GET', AGENT);
      return a.status?.heartbeatTime && a.status.heartbeatTime !== first.status?.heartbeatTime ? a : undefined;
    }, { what: 'a new heartbeat', timeoutMs: 10_000 });
    assert.equal(next.status?.kubernetesVersion, 'v1.36.3');
    assert.ok(next.status?.agentVersion);
    assert.deepEqual(next.status?.nodes, { total: 1, ready: 1 });
    assert.equal(next.status?.profiles?.total, 1);
    assert.equal(next.status?.conditions?.[0]?.type, 'Ready');
    assert.ok((next.status?.events ?? []).some((e) => e.reason === 'Ready' && e.profile === `${NS}/app`));
    // A heartbeat went by (and with it the agent's own status write); the profile, unchanged,
    // was not written again.
    assert.equal((await getProfile('app')).metadata.resourceVersion, quiet, 'profile status rewritten although nothing changed');
  });

  it('writes everything as field manager kplane-agent: finalizer, profile status, ClusterAgent, Events', async () => {
    const managers = (obj: { metadata: object }) => (((obj.metadata as { managedFields?: { manager?: string; subresource?: string }[] }).managedFields) ?? []).map((f) => `${f.manager ?? ''}${f.subresource ? `/${f.subresource}` : ''}`);
    const profile = await getProfile('app');
    // kplane: the spec, applied by the test as the plane would; kplane-agent: the finalizer and the status.
    assert.deepEqual(managers(profile).sort(), ['kplane', 'kplane-agent', 'kplane-agent/status']);
    assert.deepEqual([...new Set(managers(await bed.api.request<ClusterAgent>('GET', AGENT)))].sort(), ['kplane-agent', 'kplane-agent/status']);
    const events = await bed.api.request<{ items: { metadata: { managedFields?: { manager?: string }[] }; source?: { component?: string } }[] }>('GET', '/api/v1/namespaces/kplane-system/events');
    const agentEvents = events.items.filter((e) => e.source?.component === 'kplane-agent');
    assert.ok(agentEvents.length > 0, 'no Event from the agent');
    for (const e of agentEvents) assert.deepEqual(managers(e), ['kplane-agent']);
  });

  it('corrects an edited managed field and a deleted object from the watch, not the resync, leaving fields it does not manage alone', async () => {
    await bed.api.request('PATCH', '/api/v1/namespaces/app/configmaps/settings', {
      body: { data: { color: 'red', notOurs: 'kept' }, metadata: { annotations: { 'someone/else': 'yes' } } },
      contentType: 'application/merge-patch+json',
    });
    // The profile resyncs every minute: corrections well inside that (30 s) come from the watch.
    // How fast: npm run bench:agent ("drift correction", median and p95 of 40 edits).
    await waitFor(async () => (await getCm('app', 'settings'))?.data?.color === 'blue', { what: 'color put back', timeoutMs: 30_000, intervalMs: 20 });
    const cm = await getCm('app', 'settings');
    assert.equal(cm?.data?.notOurs, 'kept', 'a field the profile does not set was taken away');
    assert.equal(cm?.metadata.annotations?.['someone/else'], 'yes');
    await bed.api.request('DELETE', '/api/v1/namespaces/app/configmaps/extra');
    await waitFor(() => getCm('app', 'extra'), { what: 'deleted ConfigMap re-created', timeoutMs: 30_000, intervalMs: 20 });
    const p = await waitProfile('app', 'two corrected drift records', (x) => (x.status?.drift ?? []).filter((d) => d.correctedTime).length >= 2);
    const color = p.status!.drift!.find((d) => d.name === 'settings')!;
    assert.deepEqual(color.fields, ['data.color']);
    assert.ok(color.detectedTime && color.correctedTime);
    assert.deepEqual(p.status!.drift!.find((d) => d.name === 'extra')!.fields, ['(deleted)']);
    assert.equal(condition(p, 'InSync')?.status, 'True');
  });

  it('pauses (reports drift, changes nothing) and resumes', async () => {
    await applyProfile(appProfile('1.0.0', { paused: true }));
    await waitProfile('app', 'Applied=False Paused', (p) => condition(p, 'Applied')?.reason === 'Paused');
    await bed.api.request('PATCH', '/api/v1/namespaces/app/configmaps/settings', { body: { data: { color: 'paused-red' } }, contentType: 'application/merge-patch+json' });
    const p = await waitProfile('app', 'InSync=False while paused', (x) => condition(x, 'InSync')?.status === 'False');
    assert.equal(condition(p, 'Ready')?.status, 'False');
    assert.equal((await getCm('app', 'settings'))?.data?.color, 'paused-red', 'a paused profile changed something');
    await applyProfile(appProfile('1.0.0'));
    await waitFor(async () => (await getCm('app', 'settings'))?.data?.color === 'blue', { what: 'drift corrected after resume', timeoutMs: 10_000 });
    await waitProfile('app', 'Ready after resume', (x) => ready(x) && condition(x, 'InSync')?.status === 'True');
  });

  it('upgrades 1.0.0 → 1.1.0: appliedVersion changes only once everything is applied; what left is pruned', async () => {
    await applyProfile(appProfile('1.1.0', { extra: false, webReplicas: 3 }));
    let sawInBetween = false;
    const p = await waitFor(async () => {
      const x = await getProfile('app');
      const settings = await getCm('app', 'settings');
      if (x.status?.appliedVersion === '1.1.0') return x;
      if (settings?.data?.color === 'green') sawInBetween = true;
      return undefined;
    }, { what: 'appliedVersion 1.1.0', timeoutMs: 90_000, intervalMs: 50 });
    // At the moment it says 1.1.0, every object of 1.1.0 is there and healthy.
    const web = await bed.api.request('GET', '/apis/apps/v1/namespaces/app/deployments/web');
    assert.equal(web.spec.replicas, 3);
    assert.ok(web.status.availableReplicas >= 3, 'appliedVersion moved before the Deployment was available');
    assert.equal((await getCm('app', 'after-web'))?.data?.version, '1.1.0');
    assert.equal(await getCm('app', 'extra'), undefined, 'extra should have been pruned');
    assert.ok(sawInBetween, 'never observed the upgrade in progress (appliedVersion must lag the apply)');
    assert.ok((p.status?.resources?.pruned ?? 0) >= 1);
    const inventory = JSON.parse((await getCm(NS, 'kplane-inventory-app'))!.data!.objects);
    assert.ok(!inventory.some((e: any) => e.name === 'extra'));
  });

  it('refuses an invalid spec with SpecValid=False naming the problem, applying nothing', async () => {
    const broken = {
      apiVersion: 'kplane.dev/v1alpha1',
      kind: 'ClusterProfile',
      metadata: { name: 'broken', namespace: NS },
      spec: {
        version: '1.0.0',
        layers: [
          { name: 'one', manifests: [configMap('never-applied', { a: '${undeclared}' }, 'default')] },
          { name: 'two', dependsOn: ['missing'], manifests: [] },
        ],
      },
    } as unknown as ClusterProfile;
    await applyProfile(broken);
    const p = await waitProfile('broken', 'SpecValid=False', (x) => condition(x, 'SpecValid')?.status === 'False');
    assert.match(condition(p, 'SpecValid')!.message, /undeclared|missing/);
    assert.equal(condition(p, 'Applied')?.status, 'False');
    assert.equal(await getCm('default', 'never-applied'), undefined);
    await bed.api.request('DELETE', `${PROFILES}/broken`);
    await waitFor(async () => (await bed.api.getOrUndefined(`${PROFILES}/broken`)) === undefined, { what: 'broken profile gone', timeoutMs: 20_000 });
  });

  it('in monitor mode only reports drift', async () => {
    const watcher = {
      apiVersion: 'kplane.dev/v1alpha1',
      kind: 'ClusterProfile',
      metadata: { name: 'watcher', namespace: NS },
      spec: { version: '1.0.0', reconcile: { mode: 'monitor' }, layers: [{ name: 'l', manifests: [configMap('watched', { v: 'desired' }, 'default')] }] },
    } as unknown as ClusterProfile;
    await applyAndWaitReady(bed.api, watcher, { intervalMs: 100 });
    await bed.api.request('PATCH', '/api/v1/namespaces/default/configmaps/watched', { body: { data: { v: 'changed' } }, contentType: 'application/merge-patch+json' });
    const p = await waitProfile('watcher', 'InSync=False', (x) => condition(x, 'InSync')?.status === 'False', 10_000);
    assert.equal(condition(p, 'InSync')?.reason, 'DriftDetected');
    assert.deepEqual(p.status?.drift?.[0]?.fields, ['data.v']);
    assert.equal(p.status?.drift?.[0]?.correctedTime, undefined);
    assert.equal((await getCm('default', 'watched'))?.data?.v, 'changed', 'monitor mode corrected drift');
  });

  it('scales a Deployment on an object metric, up and down, respecting the cooldown', async () => {
    const scaled = {
      apiVersion: 'kplane.dev/v1alpha1',
      kind: 'ClusterProfile',
      metadata: { name: 'scaled', namespace: NS },
      spec: {
        version: '1.0.0',
        layers: [{ name: 'l', namespace: 'default', manifests: [deployment('worker', 1)] }],
        scaling: [
          {
            name: 'worker',
            target: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'worker', namespace: 'default' },
            minReplicas: 1,
            maxReplicas: 5,
            metric: { type: 'Object', object: { apiVersion: 'v1', kind: 'ConfigMap', name: 'queue', namespace: 'default', fieldPath: '.data.depth' }, targetAverageValue: 10 },
            cooldown: '4s',
          },
        ],
      },
    } as unknown as ClusterProfile;
    // The metric's source belongs to someone else (a queue exporter), not to the profile.
    await bed.api.request('POST', '/api/v1/namespaces/default/configmaps', { body: configMap('queue', { depth: '0' }) });
    await applyAndWaitReady(bed.api, scaled, { intervalMs: 100 });
    const replicas = async () => (await bed.api.request('GET', '/apis/apps/v1/namespaces/default/deployments/worker')).spec.replicas as number;
    await bed.api.request('PATCH', '/api/v1/namespaces/default/configmaps/queue', { body: { data: { depth: '35' } }, contentType: 'application/merge-patch+json' });
    await waitFor(async () => (await replicas()) === 4, { what: 'scaled up to 4', timeoutMs: 15_000 });
    const upAt = Date.now();
    let p = await waitProfile('scaled', 'decision recorded', (x) => x.status?.scaling?.[0]?.lastDecision === 'ScaledUp');
    assert.equal(p.status?.scaling?.[0]?.desired, 4);
    assert.equal(p.status?.scaling?.[0]?.metricValue, 35);
    await bed.api.request('PATCH', '/api/v1/namespaces/default/configmaps/queue', { body: { data: { depth: '5' } }, contentType: 'application/merge-patch+json' });
    await waitFor(async () => (await replicas()) === 1, { what: 'scaled down to 1', timeoutMs: 20_000 });
    const downAfter = Date.now() - upAt;
    assert.ok(downAfter >= 3_000, `scaled down ${downAfter} ms after scaling up, inside the 4s cooldown`);
    p = await waitProfile('scaled', 'down decision recorded', (x) => x.status?.scaling?.[0]?.lastDecision === 'ScaledDown');
    assert.match(p.status!.scaling![0].reason!, /scaled 4→1/);
  });

  it('never shows the sensitive value in status, events, the ClusterAgent or logs', async () => {
    const everything = JSON.stringify([
      await getProfile('app').then((p) => p.status),
      await bed.api.request('GET', AGENT).then((a) => a.status),
      await bed.api.request('GET', `/api/v1/namespaces/${NS}/events`),
    ]);
    assert.ok(everything.includes('"reason"'), 'nothing was read');
    assert.ok(!everything.includes(SECRET), 'the sensitive value leaked into status or events');
    assert.ok(!bed.agent.logs().includes(SECRET), 'the sensitive value leaked into the agent log');
    // It was applied, though: the ConfigMap holds it.
    assert.equal((await getCm('app', 'settings'))?.data?.token, SECRET);
  });

  it('serves /healthz, /readyz and Prometheus /metrics, and logs JSON', async () => {
    const url = await bed.agent.metricsUrl();
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    assert.equal((await fetch(`${url}/readyz`)).status, 200);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /^kplane_agent_reconcile_total\{result="success"\} \d+/m);
    assert.match(metrics, /^kplane_agent_reconcile_duration_seconds_count \d+/m);
    assert.match(metrics, /^kplane_agent_drift_corrections_total\{kind="ConfigMap"\} [1-9]/m);
    assert.match(metrics, /^kplane_agent_queue_depth \d+/m);
    for (const line of bed.agent.logs().trim().split('\n')) assert.doesNotThrow(() => JSON.parse(line), `not JSON: ${line}`);
    const events = await bed.api.request(`GET`, `/api/v1/namespaces/${NS}/events`);
    assert.ok(events.items.some((e: any) => e.involvedObject.name === 'app' && e.reason === 'DriftCorrected'));
  });

  it('applies a CRD, waits until it is established, then applies resources of its kind', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } } }],
      },
    };
    const withCrd = {
      apiVersion: 'kplane.dev/v1alpha1',
      kind: 'ClusterProfile',
      metadata: { name: 'widgets', namespace: NS },
      spec: {
        version: '1.0.0',
        layers: [
          { name: 'crds', wait: true, manifests: [crd] },
          { name: 'widgets', dependsOn: ['crds'], namespace: 'default', manifests: [{ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 3 } }] },
        ],
      },
    } as unknown as ClusterProfile;
    const p = await applyAndWaitReady(bed.api, withCrd, { timeoutMs: 30_000, intervalMs: 100 });
    assert.deepEqual(p.status?.layers?.map((l) => l.state), ['Ready', 'Ready']);
    const w1 = await bed.api.request('GET', '/apis/example.com/v1/namespaces/default/widgets/w1');
    assert.equal(w1.spec.size, 3);
    // Drift on a custom resource is watched and corrected like any other kind.
    await bed.api.request('PATCH', '/apis/example.com/v1/namespaces/default/widgets/w1', { body: { spec: { size: 9 } }, contentType: 'application/merge-patch+json' });
    await waitFor(async () => (await bed.api.request('GET', '/apis/example.com/v1/namespaces/default/widgets/w1')).spec.size === 3, { what: 'widget size put back', timeoutMs: 5_000 });
  });

  it('keeps the event seq across an agent restart, with no gap and no reuse', async () => {
    const before = await waitFor(async () => {
      const a = await bed.api.request<ClusterAgent>('GET', AGENT);
      return a.status?.nextSeq ? a : undefined;
    }, { what: 'ClusterAgent nextSeq', timeoutMs: 5_000 });
    await bed.agent.stop();
    assert.equal(await bed.agent.exited, 0, 'graceful shutdown did not exit 0');
    assert.match(bed.agent.logs(), /"msg":"stopped"/);
    const lastSeq = before.status!.events!.at(-1)!.seq;
    bed.agent = await startAgent({ kubeconfigPath: bed.cluster.kubeconfigPath, args: ['--heartbeat', '2s', '--scaling-period', '500ms', '--log-level', 'debug'] });
    // The new agent has no memory of what it applied, yet the monitor-mode drift of "watcher"
    // stays reported and uncorrected (the applied fingerprint travels on the object).
    await waitFor(() => /"msg":"reconciled".*"profile":"kplane-system\/watcher"/.test(bed.agent.logs()), { what: 'watcher reconciled by the new agent', timeoutMs: 20_000 });
    assert.equal((await getCm('default', 'watched'))?.data?.v, 'changed', 'a restarted agent corrected monitor-mode drift');
    assert.equal(condition(await getProfile('watcher'), 'InSync')?.status, 'False');
    // Something new happens: the new agent must number it after everything the old one wrote.
    await bed.api.request('PATCH', '/api/v1/namespaces/app/configmaps/settings', { body: { data: { color: 'after-restart' } }, contentType: 'application/merge-patch+json' });
    const after = await waitFor(async () => {
      const a = await bed.api.request<ClusterAgent>('GET', AGENT);
      return (a.status?.events ?? []).some((e) => e.seq > lastSeq) ? a : undefined;
    }, { what: 'a new event after the restart', timeoutMs: 20_000 });
    const seqs = after.status!.events!.map((e) => e.seq);
    seqs.forEach((s, i) => i && assert.equal(s, seqs[i - 1] + 1, `seq jumps ${seqs[i - 1]} → ${s}`));
    assert.ok(seqs.includes(lastSeq), 'the old events were lost');
    assert.equal(after.status!.nextSeq, seqs.at(-1)! + 1);
  });

  it('deleting a profile while it is being applied cancels the run (AbortSignal), then its finalizer removes what it created', async () => {
    const names = Array.from({ length: 1500 }, (_, i) => `bulk-${i}`);
    const bulk = {
      apiVersion: 'kplane.dev/v1alpha1',
      kind: 'ClusterProfile',
      metadata: { name: 'bulk', namespace: NS },
      spec: { version: '1.0.0', layers: [{ name: 'many', namespace: 'default', manifests: names.map((n) => configMap(n, { n })) }] },
    } as unknown as ClusterProfile;
    const created = () => bed.api.request<{ items: unknown[] }>('GET', '/api/v1/namespaces/default/configmaps', { query: { labelSelector: 'kplane.dev/profile=bulk' } }).then((l) => l.items.length);
    await applyProfile(bulk);
    // The inventory is widened before the first apply: from then on the run is applying.
    await waitFor(() => getCm(NS, 'kplane-inventory-bulk'), { what: 'bulk apply started', timeoutMs: 30_000, intervalMs: 20 });
    await bed.api.request('DELETE', `${PROFILES}/bulk`);
    await waitFor(() => /"msg":"reconcile cancelled".*"profile":"kplane-system\/bulk"/.test(bed.agent.logs()), { what: 'the run in progress cancelled', timeoutMs: 20_000 });
    await waitFor(async () => (await bed.api.getOrUndefined(`${PROFILES}/bulk`)) === undefined, { what: 'profile bulk gone', timeoutMs: 120_000 });
    assert.equal(await created(), 0, 'objects of the deleted profile were left behind');
    assert.equal(await getCm(NS, 'kplane-inventory-bulk'), undefined);
  });

  it('deleting the profile removes everything it owns, through its finalizer', async () => {
    await bed.api.request('DELETE', `${PROFILES}/app`);
    await waitFor(async () => (await bed.api.getOrUndefined(`${PROFILES}/app`)) === undefined, { what: 'profile app gone', timeoutMs: 30_000 });
    assert.equal(await bed.api.getOrUndefined('/apis/apps/v1/namespaces/app/deployments/web').catch((e) => (e instanceof KubeError ? undefined : Promise.reject(e))), undefined);
    assert.equal(await getCm(NS, 'kplane-inventory-app'), undefined);
    const ns = await bed.api.getOrUndefined('/api/v1/namespaces/app');
    assert.ok(!ns || ns.metadata.deletionTimestamp, 'namespace app was not deleted');
  });
});
