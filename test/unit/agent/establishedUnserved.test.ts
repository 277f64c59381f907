/**
 * A kind whose CRD this agent applied and that is Established, but that discovery does not list
 * yet, is looked for again until it is served, instead of failing its layer after one second look
 * (agent/src/controller/steps/apply.ts): at load 10 on bench:agent --stack the API server listed a
 * just-Established CRD's kind later than that, and the layer failed, a failure status of a 1.4 MB
 * part was written and the run retried after a backoff. A kind of no CRD the agent applied fails as before.
 */
import assert from 'node:assert/strict';
import { Applier, Logger } from '@kplane/agent';
import type { Manifest } from '@kplane/profile';

const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: { group: 'example.com', names: { kind: 'Widget', plural: 'widgets' }, scope: 'Namespaced', versions: [] },
} as unknown as Manifest;
const widget = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'app' } } as Manifest;
const gadget = { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g', namespace: 'app' } } as Manifest;

function harness(servedAfterLooks: number) {
  let looks = 0;
  const crdInfo = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions', namespaced: false };
  const widgets = { apiVersion: 'example.com/v1', kind: 'Widget', plural: 'widgets', namespaced: true };
  const live = { ...crd, metadata: { ...crd.metadata, uid: 'c1', resourceVersion: '1' }, status: { conditions: [{ type: 'Established', status: 'True' }] } };
  const stores = new Map<string, Map<string, unknown>>([['CustomResourceDefinition', new Map([['/widgets.example.com', live]])], ['Widget', new Map()]]);
  const discovery = {
    resource: async (_apiVersion: string, kind: string) => {
      if (kind === 'CustomResourceDefinition') return crdInfo;
      if (kind !== 'Widget') return undefined;
      return ++looks > servedAfterLooks ? widgets : undefined;
    },
  };
  const api = { apply: async (_path: string, body: { metadata: object }) => ({ ...body, metadata: { ...body.metadata, uid: 'x', resourceVersion: '2' } }), request: async () => ({}) };
  const drift = { inspect: async (_ctx: unknown, target: { live?: unknown }) => ({ state: target.live ? 'inSync' : 'missing' }), applied: () => undefined, corrected: () => undefined };
  const applier = new Applier(
    { api, discovery, informerFor: async (info: { kind: string }) => ({ store: stores.get(info.kind) ?? new Map(), observe: () => undefined }), metrics: { observe: () => undefined } } as never,
    drift as never,
  );
  const ctx = { key: 'kplane-system/p', secrets: [], log: new Logger({}, 'error', () => undefined), signal: new AbortController().signal, paused: false, mode: 'enforce', adopting: new Set() } as never;
  return { apply: (objects: Manifest[]) => applier.applyLayer(ctx, objects, false), looks: () => looks };
}

describe('agent apply: a kind of an Established CRD that discovery does not list yet', () => {
  it('is looked for again until it is served, then applied', async () => {
    const h = harness(4);
    await h.apply([crd]);
    const [result] = await h.apply([widget]);
    assert.equal(result.error, undefined);
    assert.equal(h.looks(), 5);
  });

  it('a kind of no CRD the agent applied fails after the second look, as before', async () => {
    const h = harness(4);
    await h.apply([crd]);
    const [result] = await h.apply([gadget]);
    assert.match(result.error ?? '', /does not serve example.com\/v1 Gadget/);
  });
});
