import assert from 'node:assert/strict';
import { holdsProgress, progressHoldMs, PROGRESS_WRITE_MAX_MS, PROGRESS_WRITE_MS, statusChanged, statusPatch } from '@kplane/agent/core';
import type { ClusterProfileStatus } from '@kplane/profile';

const condition = (type: string, status: 'True' | 'False') => ({ type, status, reason: 'R', message: 'm', lastTransitionTime: '2026-12-01T00:00:00Z', observedGeneration: 3 });

describe('agent: status as a merge patch of what changed', () => {
  const previous: ClusterProfileStatus = {
    observedGeneration: 3,
    appliedVersion: '1.0.0',
    resources: { total: 150, ready: 149, drifted: 0, failed: 0, pruned: 2 },
    conditions: [condition('Ready', 'False'), condition('Applied', 'True')],
    layers: [{ name: 'crds', state: 'Ready', total: 10, ready: 10 } as any, { name: 'apps', state: 'Progressing', total: 140, ready: 139 } as any],
  };

  it('sends only the fields that changed, objects field by field, arrays whole', () => {
    const next: ClusterProfileStatus = {
      ...previous,
      resources: { ...previous.resources!, ready: 150 },
      conditions: [condition('Ready', 'True'), condition('Applied', 'True')],
    };
    assert.deepEqual(statusPatch(previous, next), { resources: { ready: 150 }, conditions: next.conditions });
  });

  it('removes a field that went away with null, and adds a new one', () => {
    const { appliedVersion: _gone, ...rest } = previous;
    const next = { ...rest, drift: [{ object: 'ConfigMap app/settings', field: 'data.color' }] } as unknown as ClusterProfileStatus;
    assert.deepEqual(statusPatch(previous, next), { appliedVersion: null, drift: next.drift });
  });

  it('is undefined when nothing changed, whatever the key order, and a key set to undefined counts as absent', () => {
    const reordered = JSON.parse(JSON.stringify({ layers: previous.layers, conditions: previous.conditions, resources: previous.resources, appliedVersion: previous.appliedVersion, observedGeneration: 3 }));
    assert.equal(statusPatch(previous, reordered), undefined);
    assert.equal(statusPatch(previous, { ...previous, scaling: undefined }), undefined);
    assert.equal(statusChanged(previous, reordered), false);
    assert.equal(statusChanged(previous, { ...previous, observedGeneration: 4 }), true);
  });

  it('from no status at all, is the whole status', () => {
    assert.deepEqual(statusPatch(undefined, previous), previous);
  });

  it('applied to the previous status as RFC 7386 says, gives the next status', () => {
    const next: ClusterProfileStatus = { ...previous, resources: { total: 151, ready: 151, drifted: 0, failed: 0, pruned: 2 }, appliedVersion: undefined, layers: previous.layers!.slice(0, 1) };
    const apply = (target: any, patch: any): any => {
      if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
      const out = { ...(typeof target === 'object' && target && !Array.isArray(target) ? target : {}) };
      for (const [k, v] of Object.entries(patch)) {
        if (v === null) delete out[k];
        else out[k] = apply(out[k], v);
      }
      return out;
    };
    const { appliedVersion: _a, ...expected } = next;
    assert.deepEqual(apply(previous, statusPatch(previous, next)), expected);
  });
});

describe('agent: progress status writes held back while a profile is in progress', () => {
  const ready = (status: 'True' | 'False', reason: string) => [{ type: 'Ready', status, reason, message: 'm', lastTransitionTime: '2026-12-01T00:00:00Z' }];
  const waiting = { conditions: ready('False', 'Progressing'), layers: [{ name: 'crds', state: 'Waiting' as const, resources: 2, ready: 1 }] };

  it('holds back a progress write (a layer waiting, or a dependency) within the window, not after it', () => {
    assert.equal(holdsProgress(waiting, 0), true);
    assert.equal(holdsProgress({ conditions: ready('False', 'DependencyNotReady') }, PROGRESS_WRITE_MS - 1), true);
    assert.equal(holdsProgress(waiting, PROGRESS_WRITE_MS), false);
  });

  it('never holds back Ready, a failure or an invalid spec', () => {
    assert.equal(holdsProgress({ conditions: ready('True', 'Ready') }, 0), false);
    assert.equal(holdsProgress({ conditions: ready('False', 'ApplyFailed') }, 0), false);
    assert.equal(holdsProgress({ conditions: ready('False', 'InvalidSpec') }, 0), false);
    assert.equal(holdsProgress({ ...waiting, layers: [{ name: 'api', state: 'Failed', resources: 1, ready: 0 }] }, 0), false, 'a layer whose object failed its health');
    assert.equal(holdsProgress({}, 0), false, 'no Ready condition yet');
  });

  it('spaces progress writes further when status writes are slow: ten times the last write, between PROGRESS_WRITE_MS and PROGRESS_WRITE_MAX_MS', () => {
    assert.equal(progressHoldMs(undefined), PROGRESS_WRITE_MS);
    assert.equal(progressHoldMs(200), PROGRESS_WRITE_MS);
    assert.equal(progressHoldMs(2_500), 25_000);
    assert.equal(progressHoldMs(30_000), PROGRESS_WRITE_MAX_MS);
    const waiting = { conditions: [{ ...condition('Ready', 'False'), reason: 'Progressing' }] };
    assert.equal(holdsProgress(waiting, 20_000, progressHoldMs(2_500)), true);
    assert.equal(holdsProgress(waiting, 25_000, progressHoldMs(2_500)), false);
  });
});
