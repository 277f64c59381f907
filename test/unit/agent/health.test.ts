import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { objectHealth, waitingMessage, type Health, type HealthInput } from '@kplane/agent/core';
import { fixturesDir } from '../../fixtures/paths.js';

const EXPECT = 'kplane.test/expect';
const dir = join(fixturesDir, 'health');
const recorded = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((file) =>
    parseAllDocuments(readFileSync(join(dir, file), 'utf8'))
      .map((d) => d.toJS() as (HealthInput & { metadata: { name: string; annotations: Record<string, string> } }) | null)
      .filter((o) => !!o)
      .map((o) => ({ file, obj: o! })),
  );

describe('agent core: health of every kind (recorded objects)', () => {
  it('has recorded objects to judge', () => {
    assert.ok(recorded.length >= 30, `only ${recorded.length} recorded objects in ${dir}`);
  });
  for (const { file, obj } of recorded) {
    const [state, reason] = obj.metadata.annotations[EXPECT].split(' ');
    it(`${file}: ${obj.kind} ${obj.metadata.name} is ${state} (${reason})`, () => {
      const h = objectHealth(obj);
      assert.deepEqual([h.state, h.reason], [state, reason], h.message);
      assert.equal(h.ready, state === 'Healthy');
      assert.equal(h.failed === true, state === 'Failed');
      assert.ok(h.message.length > 0);
    });
  }
});

describe('agent core: health rules', () => {
  const find = (kind: string, name: string) => recorded.find((r) => r.obj.kind === kind && r.obj.metadata.name === name)!.obj;
  const withStatus = (obj: HealthInput, status: unknown): HealthInput => ({ ...obj, status });

  it('says why an APIService is not available, in its own words', () => {
    const h = objectHealth(find('APIService', 'v1alpha1.example.kplane.dev'));
    assert.equal(h.message, 'Available=False (ServiceNotFound): service/missing in "default" is not present');
    assert.match(objectHealth(find('APIService', 'v1beta1.metrics.k8s.io')).message, /FailedDiscoveryCheck.*connection refused/);
  });

  it('honours Ready / Available / Established on any kind, and ignores other conditions', () => {
    const widget = (conditions: unknown[]): HealthInput => ({ apiVersion: 'example.kplane.dev/v1', kind: 'Widget', metadata: { generation: 1 }, status: { conditions } });
    assert.equal(objectHealth(widget([{ type: 'Ready', status: 'False', reason: 'Waiting', message: 'disk' }])).message, 'Ready=False (Waiting): disk');
    assert.equal(objectHealth(widget([{ type: 'Ready', status: 'Unknown' }])).ready, false);
    assert.equal(objectHealth(widget([{ type: 'Established', status: 'False' }])).ready, false);
    assert.equal(objectHealth(widget([{ type: 'Available', status: 'True' }, { type: 'Ready', status: 'False' }])).ready, false);
    assert.equal(objectHealth(widget([{ type: 'Synced', status: 'False' }])).ready, true);
    assert.equal(objectHealth(widget([{ type: 'Ready', status: 'True' }])).reason, 'Ready');
  });

  it('puts generation, deletion, Stalled and Reconciling before any Ready=True', () => {
    const ready = [{ type: 'Ready', status: 'True' }];
    const base: HealthInput = { apiVersion: 'example.kplane.dev/v1', kind: 'Widget', metadata: { generation: 3 }, status: { observedGeneration: 3, conditions: ready } };
    assert.equal(objectHealth(base).ready, true);
    assert.equal(objectHealth({ ...base, status: { observedGeneration: 2, conditions: ready } }).reason, 'LatestGenerationNotObserved');
    assert.equal(objectHealth({ ...base, metadata: { generation: 3, deletionTimestamp: '2026-01-01T00:00:00Z' } }).state, 'Terminating');
    assert.equal(objectHealth({ ...base, status: { conditions: [...ready, { type: 'Stalled', status: 'True', reason: 'Broken' }] } }).state, 'Failed');
    assert.equal(objectHealth({ ...base, status: { conditions: [...ready, { type: 'Reconciling', status: 'True' }] } }).state, 'Progressing');
    // A Stalled=False / Reconciling=False condition means all is well.
    assert.equal(objectHealth({ ...base, status: { conditions: [...ready, { type: 'Stalled', status: 'False' }, { type: 'Reconciling', status: 'False' }] } }).ready, true);
  });

  it('judges a built-in kind by its own rule, and a same-named kind of another group by the generic one', () => {
    // Core Service: ClusterIP is healthy whatever conditions say; a Knative Service is judged by Ready.
    const svc: HealthInput = { apiVersion: 'v1', kind: 'Service', spec: { type: 'ClusterIP' }, status: { conditions: [{ type: 'Ready', status: 'False' }] } };
    assert.equal(objectHealth(svc).ready, true);
    assert.equal(objectHealth({ ...svc, apiVersion: 'serving.knative.dev/v1' }).ready, false);
  });

  it('knows the workload kinds as before', () => {
    const deploy: HealthInput = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { generation: 2 }, spec: { replicas: 2 }, status: { observedGeneration: 2, availableReplicas: 2, updatedReplicas: 2, replicas: 2 } };
    assert.equal(objectHealth(deploy).ready, true);
    assert.equal(objectHealth(withStatus(deploy, { ...deploy.status, observedGeneration: 1 })).ready, false);
    assert.equal(objectHealth(withStatus(deploy, { ...deploy.status, availableReplicas: 1 })).ready, false);
    assert.equal(objectHealth(withStatus(deploy, { ...deploy.status, replicas: 3 })).reason, 'ExtraPods');
    assert.equal(objectHealth({ apiVersion: 'batch/v1', kind: 'Job', status: { conditions: [{ type: 'Complete', status: 'True' }] } }).ready, true);
    assert.equal(objectHealth({ apiVersion: 'batch/v1', kind: 'Job', status: { active: 1 } }).ready, false);
    const ds: HealthInput = { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { generation: 1 }, status: { observedGeneration: 1, desiredNumberScheduled: 3, numberAvailable: 2, updatedNumberScheduled: 3 } };
    assert.equal(objectHealth(ds).ready, false);
    assert.equal(objectHealth(withStatus(ds, { ...ds.status, numberAvailable: 3 })).ready, true);
    const sts: HealthInput = { apiVersion: 'apps/v1', kind: 'StatefulSet', spec: { replicas: 2 }, status: { readyReplicas: 2, updatedReplicas: 1 } };
    assert.equal(objectHealth(sts).ready, false);
    assert.equal(objectHealth({ ...sts, spec: { replicas: 2, updateStrategy: { type: 'OnDelete' } } }).ready, true);
    assert.equal(objectHealth({ apiVersion: 'apps/v1', kind: 'ReplicaSet', spec: { replicas: 1 }, status: { availableReplicas: 1 } }).ready, true);
  });

  it('never throws, whatever the object holds (property)', () => {
    const kinds = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CustomResourceDefinition', 'APIService', 'PersistentVolumeClaim', 'Service', 'Pod', 'Ingress', 'PodDisruptionBudget', 'Widget'];
    const groups = ['v1', 'apps/v1', 'batch/v1', 'apiextensions.k8s.io/v1', 'apiregistration.k8s.io/v1', 'networking.k8s.io/v1', 'policy/v1', 'x.example/v1'];
    fc.assert(
      fc.property(fc.constantFrom(...groups), fc.constantFrom(...kinds), fc.anything(), fc.anything(), fc.anything(), (apiVersion, kind, metadata, spec, status) => {
        const h: Health = objectHealth({ apiVersion, kind, metadata: metadata as any, spec, status });
        assert.equal(typeof h.message, 'string');
        assert.equal(typeof h.ready, 'boolean');
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.constantFrom(...groups), fc.constantFrom(...kinds), fc.array(fc.record({ type: fc.constantFrom('Ready', 'Available', 'Established', 'Stalled', 'Reconciling', 'Complete', 'Failed', 'Progressing'), status: fc.anything(), reason: fc.anything(), message: fc.anything() })), (apiVersion, kind, conditions) => {
        assert.equal(typeof objectHealth({ apiVersion, kind, status: { conditions } }).message, 'string');
      }),
    );
  });
});

describe('agent core: waiting layer message', () => {
  const ok = (object: string) => ({ object, health: objectHealth({ apiVersion: 'v1', kind: 'ConfigMap' }) });
  const waiting = (object: string, message: string) => ({ object, health: { ready: false, state: 'Progressing' as const, reason: 'X', message } });
  it('names every object that is not healthy and why, failures first', () => {
    const failed = { object: 'Job default/migrate', health: { ready: false, failed: true, state: 'Failed' as const, reason: 'JobFailed', message: 'job failed' } };
    assert.equal(
      waitingMessage([ok('ConfigMap a/b'), waiting('APIService v1.x', 'Available=False (ServiceNotFound): gone'), failed]),
      '1/3 healthy; Job default/migrate: job failed; APIService v1.x: Available=False (ServiceNotFound): gone',
    );
  });
  it('stays bounded: five objects named, the rest counted, long messages cut', () => {
    const many = Array.from({ length: 40 }, (_, i) => waiting(`Widget app/w${i}`, 'x'.repeat(5000)));
    const message = waitingMessage(many);
    assert.match(message, /^0\/40 healthy; Widget app\/w0: x+…; /);
    assert.match(message, /and 35 more not healthy$/);
    assert.ok(message.length < 1200, `${message.length} characters`);
    assert.ok(!message.includes('w5:'));
  });
});
