/**
 * A big CRD on a real kube-apiserver, with the agent keeping only digests of its schemas in its
 * cache (agent/src/controller/schemaDigest.ts): it still becomes Established and Ready, a schema
 * edited by someone else is drift and is put back, and a status-only change of the CRD is not.
 */
import assert from 'node:assert/strict';
import { waitFor } from '@kplane/bed';
import { DIGEST_MIN_BYTES } from '@kplane/agent';
import type { ClusterProfile } from '@kplane/profile';
import { applyAndWaitReady, useAgentBed } from './agentBed.js';

const NS = 'kplane-system';
const PROFILES = `/apis/kplane.dev/v1alpha1/namespaces/${NS}/clusterprofiles`;
const CRD_PATH = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.digest.example.com';

/** A schema of about 60 KB, every field described, as controller-gen writes them. */
const properties = Object.fromEntries(
  Array.from({ length: 300 }, (_, i) => [`field${i}`, { type: 'string', description: `Field ${i} of the gadget: what the controller reconciles and reports in status.` }]),
);

const profile: ClusterProfile = {
  apiVersion: 'kplane.dev/v1alpha1',
  kind: 'ClusterProfile',
  metadata: { name: 'gadgets', namespace: NS },
  spec: {
    version: '1.0.0',
    reconcile: { mode: 'enforce', prune: true, interval: '10m' },
    layers: [
      {
        name: 'crds',
        wait: true,
        manifests: [
          {
            apiVersion: 'apiextensions.k8s.io/v1',
            kind: 'CustomResourceDefinition',
            metadata: { name: 'gadgets.digest.example.com' },
            spec: {
              group: 'digest.example.com',
              scope: 'Namespaced',
              names: { kind: 'Gadget', plural: 'gadgets', singular: 'gadget', listKind: 'GadgetList' },
              versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties } } } } }],
            },
          },
        ],
      },
      { name: 'gadgets', namespace: 'default', dependsOn: ['crds'], manifests: [{ apiVersion: 'digest.example.com/v1', kind: 'Gadget', metadata: { name: 'one' }, spec: { field1: 'a' } }] },
    ],
  },
} as unknown as ClusterProfile;

describe('agent: a big CRD kept as digests in its cache', function () {
  this.timeout(180_000);
  const bed = useAgentBed({ cluster: { name: 'crd-digest' }, agentArgs: ['--heartbeat', '2s', '--log-level', 'debug'] });
  const runs = () => bed.agent.logs().split('\n').filter((l) => l.includes('"reconciled"') && l.includes('"profile":"kplane-system/gadgets"')).length;
  const get = () => bed.api.request<ClusterProfile>('GET', `${PROFILES}/gadgets`);
  const ready = (p: ClusterProfile) => p.status?.appliedVersion === '1.0.0' && !!p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

  it('becomes Ready; a schema edited by someone else is drift, put back; a status change of the CRD is not drift', async () => {
    assert.ok(JSON.stringify(properties).length > DIGEST_MIN_BYTES, 'test setup: the schema must be big enough to be digested');
    await applyAndWaitReady(bed.api, profile, { test: ready, timeoutMs: 120_000 });

    // Someone changes a description deep in the schema.
    await bed.api.request('PATCH', CRD_PATH, {
      body: JSON.stringify({ spec: { versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { ...properties, field7: { type: 'string', description: 'edited by hand' } } } } } } }] } }),
      contentType: 'application/merge-patch+json',
    });
    await waitFor(
      async () => {
        const crd = await bed.api.request<any>('GET', CRD_PATH);
        return crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.field7.description === properties.field7.description;
      },
      { what: 'the edited schema put back', timeoutMs: 60_000, intervalMs: 200 },
    );
    const corrected = await waitFor(async () => {
      const p = await get();
      return p.status?.drift?.find((d) => d.name === 'gadgets.digest.example.com' && d.correctedTime) ? p : undefined;
    }, { what: 'a corrected drift record for the CRD', timeoutMs: 30_000, intervalMs: 200 });
    assert.deepEqual(corrected!.status!.drift!.find((d) => d.name === 'gadgets.digest.example.com')!.fields, ['spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.field7.description']);

    // A change of the CRD's status alone (a new resourceVersion) is no drift: still one record, still Ready.
    const before = (await get()).status!.drift!.length;
    const runsBefore = runs();
    await bed.api.request('PATCH', `${CRD_PATH}/status`, {
      body: JSON.stringify({ status: { conditions: [{ type: 'KplaneTest', status: 'True', reason: 'Test', message: 'status only', lastTransitionTime: new Date().toISOString() }] } }),
      contentType: 'application/merge-patch+json',
    });
    // The CRD's watch event queues its profile: once that run has ended, the drift records are the same.
    await waitFor(() => runs() > runsBefore, { what: 'a run of gadgets after the CRD status change', timeoutMs: 30_000, intervalMs: 100 });
    const after = await get();
    assert.equal(after.status!.drift!.length, before, `drift after a status-only change: ${JSON.stringify(after.status!.drift)}`);
    assert.ok(ready(after));
  });
});
