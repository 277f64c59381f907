import assert from 'node:assert/strict';
import type { Condition } from '@kplane/profile';
import { blockedLayer, conditionEvents, deriveConditions, isComplete, MASK, mergeConditions, reportLayer, type ObjectResult, type ReconcileOutcome } from '@kplane/agent/core';

type Valid = Extract<ReconcileOutcome, { spec: 'valid' }>;
const good: Valid = { spec: 'valid', version: '1.2.0', mode: 'enforce', paused: false, total: 7, failed: 0, openDrift: 0 };
const valid = (over: Partial<Valid>): Valid => ({ ...good, ...over });

/** The derived conditions as `Type=Status/Reason: message`, in the order they are set. */
const show = (outcome: ReconcileOutcome) => deriveConditions(outcome).map((c) => `${c.type}=${c.status}/${c.reason}: ${c.message}`);

describe('agent core: profile conditions', () => {
  it('all good: every condition True, Ready names the version', () => {
    assert.deepEqual(show(good), [
      'SpecValid=True/Valid: The spec is valid.',
      'Applied=True/Applied: All 7 object(s) of version 1.2.0 are applied.',
      'InSync=True/InSync: Every managed field matches the profile.',
      'Ready=True/Ready: Version 1.2.0 is applied and healthy.',
    ]);
    assert.equal(isComplete(good), true);
  });

  it('invalid spec: SpecValid says why, Applied and Ready point at it, InSync is left alone', () => {
    const message = 'spec.layers[1].dependsOn[0]: dependsOn names "missing", but no layer has that name: remove it.';
    assert.deepEqual(show({ spec: 'invalid', reason: 'ValidationFailed', message }), [
      `SpecValid=False/ValidationFailed: ${message}`,
      'Applied=False/InvalidSpec: Nothing was applied because the spec is invalid.',
      'Ready=False/InvalidSpec: The spec is invalid; see SpecValid.',
    ]);
    assert.equal(deriveConditions({ spec: 'invalid', reason: 'RenderFailed', message: 'x' })[0].reason, 'RenderFailed');
    assert.equal(isComplete({ spec: 'invalid', reason: 'RenderFailed', message: 'x' }), false);
  });

  it('a layer failed: Applied and Ready say ApplyFailed with the layer message; Ready shows what waits', () => {
    const outcome = valid({ failed: 2, failedMessage: 'ConfigMap app/settings: 422 invalid', blocked: 'waiting for layer "base", which failed' });
    assert.deepEqual(show(outcome), [
      'SpecValid=True/Valid: The spec is valid.',
      'Applied=False/ApplyFailed: ConfigMap app/settings: 422 invalid',
      'InSync=True/InSync: Every managed field matches the profile.',
      'Ready=False/ApplyFailed: waiting for layer "base", which failed',
    ]);
    assert.equal(deriveConditions(valid({ failed: 1, blocked: 'b' }))[1].message, 'An object could not be applied.');
  });

  it('waiting on health: Progressing, with the layer it waits for', () => {
    const outcome = valid({ blocked: 'waiting for layer "web" to become healthy' });
    assert.deepEqual(show(outcome).slice(1), [
      'Applied=False/Progressing: waiting for layer "web" to become healthy',
      'InSync=True/InSync: Every managed field matches the profile.',
      'Ready=False/Progressing: waiting for layer "web" to become healthy',
    ]);
    assert.equal(isComplete(outcome), false);
  });

  it('drift in monitor mode: DriftDetected, not corrected; Ready=False Drifted though everything is applied', () => {
    assert.deepEqual(show(valid({ mode: 'monitor', openDrift: 2 })).slice(1), [
      'Applied=True/Applied: All 7 object(s) of version 1.2.0 are applied.',
      'InSync=False/DriftDetected: 2 object(s) differ from the profile (monitor mode: not corrected).',
      'Ready=False/Drifted: Not every object matches the profile.',
    ]);
  });

  it('drift in enforce mode: Correcting', () => {
    assert.deepEqual(show(valid({ openDrift: 1 }))[2], 'InSync=False/Correcting: 1 object(s) differ from the profile.');
  });

  it('paused: Applied and Ready say Paused; drift is still reported', () => {
    assert.deepEqual(show(valid({ paused: true, openDrift: 1 })).slice(1), [
      'Applied=False/Paused: The profile is paused: nothing is changed, status is still reported.',
      'InSync=False/Correcting: 1 object(s) differ from the profile.',
      'Ready=False/Paused: Not every object matches the profile.',
    ]);
    assert.equal(isComplete(valid({ paused: true })), false);
    // Paused wins over a failed layer for Applied (nothing was attempted), and for Ready.
    assert.deepEqual(deriveConditions(valid({ paused: true, failed: 1, blocked: 'waiting for layer "a", which failed' })).map((c) => c.reason), ['Valid', 'Paused', 'InSync', 'Paused']);
  });

  describe('merged into the status conditions', () => {
    const t0 = new Date('2026-01-01T10:00:00.123Z');
    const t1 = new Date('2026-01-01T11:00:00Z');
    it('stamps the generation, masks secrets, and moves lastTransitionTime only when a status flips', () => {
      const first = mergeConditions(undefined, deriveConditions(valid({ blocked: 'waiting for layer "web" to become healthy' })), { now: t0, generation: 3, secrets: [] });
      assert.deepEqual(first.find((c) => c.type === 'Ready'), {
        type: 'Ready',
        status: 'False',
        reason: 'Progressing',
        message: 'waiting for layer "web" to become healthy',
        lastTransitionTime: '2026-01-01T10:00:00Z',
        observedGeneration: 3,
      });
      const failed = mergeConditions(first, deriveConditions(valid({ failed: 1, failedMessage: 'Secret app/db: token hunter2 rejected', blocked: 'b' })), { now: t1, generation: 4, secrets: ['hunter2'] });
      const applied = failed.find((c) => c.type === 'Applied')!;
      assert.equal(applied.message, `Secret app/db: token ${MASK} rejected`);
      assert.equal(applied.lastTransitionTime, '2026-01-01T10:00:00Z', 'False → False must keep the transition time');
      assert.equal(applied.observedGeneration, 4);
      const ready = mergeConditions(failed, deriveConditions(good), { now: t1, generation: 4, secrets: [] }).find((c) => c.type === 'Ready')!;
      assert.equal(ready.lastTransitionTime, '2026-01-01T11:00:00Z');
      assert.deepEqual(first.map((c) => c.type), ['SpecValid', 'Applied', 'InSync', 'Ready']);
    });

    it('one Event per flip or new False reason: Warning for failures, Normal for progress, pause and recovery', () => {
      const at = (o: ReconcileOutcome, before?: Condition[]) => mergeConditions(before, deriveConditions(o), { now: t0, secrets: [] });
      const progressing = at(valid({ blocked: 'waiting for layer "web" to become healthy' }));
      assert.deepEqual(
        conditionEvents(undefined, progressing).map((e) => `${e.severity} ${e.reason}`),
        ['Normal ReadyProgressing', 'Normal SpecValid', 'Normal InSync', 'Normal AppliedProgressing'],
      );
      assert.deepEqual(conditionEvents(progressing, at(valid({ blocked: 'waiting for layer "db" to become healthy' }), progressing)), [], 'same reasons: no event, even if messages change');
      const failed = at(valid({ failed: 1, failedMessage: 'boom', blocked: 'b' }), progressing);
      assert.deepEqual(conditionEvents(progressing, failed), [
        { severity: 'Warning', reason: 'ReadyApplyFailed', message: 'Ready=False: b' },
        { severity: 'Warning', reason: 'AppliedApplyFailed', message: 'Applied=False: boom' },
      ]);
      const healthy = at(good, failed);
      assert.deepEqual(conditionEvents(failed, healthy).map((e) => `${e.severity} ${e.reason}`), ['Normal Ready', 'Normal Applied']);
      assert.deepEqual(conditionEvents(healthy, at(valid({ paused: true }), healthy)).map((e) => `${e.severity} ${e.reason}`), ['Normal ReadyPaused', 'Normal AppliedPaused']);
      assert.deepEqual(conditionEvents(healthy, at(valid({ mode: 'monitor', openDrift: 1 }), healthy)).map((e) => `${e.severity} ${e.reason}`), ['Warning ReadyDrifted', 'Warning InSyncDriftDetected']);
    });
  });
});

describe('agent core: layer state after apply', () => {
  const ref = (name: string, kind = 'ConfigMap') => ({ apiVersion: kind === 'ConfigMap' ? 'v1' : 'apps/v1', kind, name, namespace: 'app' });
  const cm = (name: string): ObjectResult => ({ ref: ref(name), live: { apiVersion: 'v1', kind: 'ConfigMap' } });
  const deployment = (name: string, available: number): ObjectResult => ({
    ref: ref(name, 'Deployment'),
    live: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { generation: 1 }, spec: { replicas: 2 }, status: { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: available } },
  });

  it('Ready when every object is there (and healthy, if waited for)', () => {
    assert.deepEqual(reportLayer({ name: 'base', wait: true }, [cm('a'), deployment('web', 2)], false), {
      status: { name: 'base', resources: 2, ready: 2, state: 'Ready' },
      errors: [],
      drifted: 0,
    });
    assert.equal(reportLayer({ name: 'base', wait: false }, [deployment('web', 0)], false).status.state, 'Ready', 'without wait, health does not block');
  });

  it('Waiting, naming each object not healthy and why, and blocking later layers', () => {
    const report = reportLayer({ name: 'web', wait: true }, [cm('a'), deployment('web', 1)], false);
    assert.deepEqual(report.status, { name: 'web', resources: 2, ready: 1, state: 'Waiting', message: '1/2 healthy; Deployment app/web: 1/2 available, 2 updated' });
    assert.equal(report.blocks, 'waiting for layer "web" to become healthy');
  });

  it('Failed when an object can no longer become ready (a failed Job)', () => {
    const job: ObjectResult = { ref: ref('migrate', 'Job'), live: { apiVersion: 'batch/v1', kind: 'Job', status: { conditions: [{ type: 'Failed', status: 'True' }] } } };
    const report = reportLayer({ name: 'db', wait: true }, [job], false);
    assert.equal(report.status.state, 'Failed');
    assert.deepEqual(report.errors, [], 'a failed Job is not an apply error');
    assert.equal(report.blocks, 'waiting for layer "db" to become healthy');
  });

  it('Failed with every apply error, the first as its message', () => {
    const report = reportLayer({ name: 'base', wait: false }, [{ ref: ref('a'), error: 'ConfigMap app/a: 403' }, cm('b'), { ref: ref('c'), error: 'ConfigMap app/c: 422' }], false);
    assert.deepEqual(report.status, { name: 'base', resources: 3, ready: 1, state: 'Failed', message: 'ConfigMap app/a: 403' });
    assert.deepEqual(report.errors, ['ConfigMap app/a: 403', 'ConfigMap app/c: 422']);
    assert.equal(report.blocks, 'waiting for layer "base", which failed');
  });

  it('Paused does not wait for health; drifted objects are counted', () => {
    const report = reportLayer({ name: 'web', wait: true }, [{ ...cm('a'), drifted: true }, deployment('web', 0)], true);
    assert.deepEqual(report, { status: { name: 'web', resources: 2, ready: 1, state: 'Paused' }, errors: [], drifted: 1 });
  });

  it('a layer after a blocking one is Pending (Paused when paused), with the reason', () => {
    assert.deepEqual(blockedLayer({ name: 'app' }, 4, false, 'waiting for layer "web" to become healthy').status, { name: 'app', state: 'Pending', resources: 4, ready: 0, message: 'waiting for layer "web" to become healthy' });
    assert.equal(blockedLayer({ name: 'app' }, 4, true, 'x').status.state, 'Paused');
  });
});
