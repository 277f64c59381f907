/**
 * The local policy's check for objects that exist without kplane (agent/src/controller/steps/policy.ts)
 * against a real kube-apiserver: many objects of one kind in one namespace are read with one
 * metadata-only LIST, and no GET per object. The unit test (test/unit/agent/policyExisting.test.ts)
 * fakes the API; its fake took the single-object Accept header (METADATA_ONLY) for a LIST, which
 * kube-apiserver answers with 406, so every LIST failed and the agent fell back to a GET per object
 * (125 GETs in the first run of the bench's last stack part).
 */
import assert from 'node:assert/strict';
import { startCluster, type TestCluster } from '@kplane/bed';
import { checkPolicy, Logger } from '@kplane/agent';
import { DEFAULT_POLICY } from '@kplane/agent/core';
import { Discovery, KubeClient, loadConnection, METADATA_LIST_ONLY, type RequestOptions } from '@kplane/kube';

const NS = 'policy-list';
const names = ['a', 'b', 'c', 'd', 'e'];

describe('agent local policy: existing objects read with one metadata-only LIST (cluster)', function () {
  let cluster: TestCluster;
  let api: KubeClient;

  before(async function () {
    this.timeout(240_000);
    cluster = await startCluster({ name: 'policy-list' });
    api = new KubeClient(loadConnection({ kubeconfigPath: cluster.kubeconfigPath }));
    await api.apply(`/api/v1/namespaces/${NS}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }, 'test');
    // Made by someone else: no kplane labels. A sixth one is the agent's own (another profile's).
    for (const name of names) await api.apply(`/api/v1/namespaces/${NS}/configmaps/${name}`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { x: '1' } }, 'someone');
    await api.apply(`/api/v1/namespaces/${NS}/configmaps/f`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'f', labels: { 'app.kubernetes.io/managed-by': 'kplane-agent', 'kplane.dev/profile': 'other', 'kplane.dev/profile-namespace': 'kplane-system' } } }, 'kplane-agent');
  });

  after(async function () {
    this.timeout(60_000);
    api?.close();
    await cluster?.stop();
  });

  it('the API server answers a LIST asked with METADATA_LIST_ONLY with the metadata of each object', async () => {
    const list = await api.request<{ kind: string; items: { metadata: { name: string } }[] }>('GET', `/api/v1/namespaces/${NS}/configmaps`, { accept: METADATA_LIST_ONLY });
    assert.equal(list.kind, 'PartialObjectMetadataList');
    assert.deepEqual(list.items.map((i) => i.metadata.name).filter((n) => n.length === 1).sort(), [...names, 'f']);
  });

  it('six ConfigMaps of a profile: one LIST, no GET per object, and the five made without kplane are refused', async () => {
    const requests: string[] = [];
    const recorded = {
      request: <T>(method: string, path: string, options?: RequestOptions) => {
        requests.push(`${method} ${path}`);
        return api.request<T>(method, path, options);
      },
      getOrUndefined: <T>(path: string, options?: RequestOptions) => {
        requests.push(`GET ${path}`);
        return api.getOrUndefined<T>(path, options);
      },
    };
    const deps = {
      api: recorded,
      discovery: new Discovery(api),
      policy: { namespace: 'kplane-system', current: async () => ({ ok: true, policy: DEFAULT_POLICY, version: '1' }) },
      namespace: 'kplane-system',
    };
    const objects = [...names, 'f'].map((name) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NS }, data: { x: '2' } }));
    const ctx = { key: 'kplane-system/p', secrets: [], log: new Logger({}, 'error', () => undefined), signal: new AbortController().signal } as never;
    const verdict = await checkPolicy(ctx, deps as never, [{ layer: { name: 'l' }, objects }] as never, []);
    assert.deepEqual(requests, [`GET /api/v1/namespaces/${NS}/configmaps`]);
    assert.equal(verdict.ok, false);
    assert.deepEqual(!verdict.ok && verdict.violations.map((v) => v.ref.name).sort(), names);
  });
});
