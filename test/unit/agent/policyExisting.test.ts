/**
 * The local policy's check for objects that exist without kplane (agent/src/controller/steps/policy.ts):
 * many objects of one kind in one namespace are looked up with one metadata-only LIST, a few with a
 * GET each, and a failed LIST falls back to the GETs; either way an unmanaged one is refused.
 */
import assert from 'node:assert/strict';
import { checkPolicy, Logger } from '@kplane/agent';
import { DEFAULT_POLICY } from '@kplane/agent/core';
import { METADATA_LIST_ONLY } from '@kplane/kube';

const configMap = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'app' }, data: {} });
const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'app' } };
const layers = [{ layer: { name: 'l' }, objects: [...['a', 'b', 'c', 'd', 'e'].map(configMap), secret] }] as never;
const info = (kind: string, plural: string) => ({ apiVersion: 'v1', kind, plural, namespaced: true });

function harness(listFails: boolean) {
  const requests: string[] = [];
  const api = {
    request: async (method: string, path: string, options: { accept?: string }) => {
      requests.push(`${method} ${path}${options?.accept === METADATA_LIST_ONLY ? ' (metadata)' : ''}`);
      if (listFails) throw new Error('403');
      return { items: [{ metadata: { name: 'b', labels: { team: 'x' } } }, { metadata: { name: 'c', labels: { 'app.kubernetes.io/managed-by': 'kplane-agent', 'kplane.dev/profile': 'other', 'kplane.dev/profile-namespace': 'kplane-system' } } }, { metadata: { name: 'zz' } }] };
    },
    getOrUndefined: async (path: string) => {
      requests.push(`GET ${path}`);
      return path.endsWith('/configmaps/b') ? { metadata: { name: 'b' } } : undefined;
    },
  };
  const deps = {
    api,
    discovery: { resource: async (_gv: string, kind: string) => (kind === 'ConfigMap' ? info('ConfigMap', 'configmaps') : info('Secret', 'secrets')) },
    policy: { namespace: 'kplane-system', current: async () => ({ ok: true, policy: DEFAULT_POLICY, version: '1' }) },
    namespace: 'kplane-system',
  };
  const ctx = { key: 'kplane-system/p', secrets: [], log: new Logger({}, 'error', () => undefined), signal: new AbortController().signal } as never;
  return { run: () => checkPolicy(ctx, deps as never, layers, []), requests };
}

describe('agent local policy: objects that exist without kplane', () => {
  it('reads five ConfigMaps of one namespace with one metadata-only LIST, the lone Secret with a GET, and refuses the unmanaged one', async () => {
    const h = harness(false);
    const verdict = await h.run();
    assert.deepEqual(h.requests.sort(), ['GET /api/v1/namespaces/app/configmaps (metadata)', 'GET /api/v1/namespaces/app/secrets/s']);
    assert.equal(verdict.ok, false);
    assert.deepEqual(!verdict.ok && verdict.violations.map((v) => v.ref.name), ['b']);
  });

  it('falls back to a GET per object when the LIST fails, with the same verdict', async () => {
    const h = harness(true);
    const verdict = await h.run();
    assert.equal(h.requests.filter((r) => r.startsWith('GET /api/v1/namespaces/app/configmaps/')).length, 5);
    assert.deepEqual(!verdict.ok && verdict.violations.map((v) => v.ref.name), ['b']);
  });
});
