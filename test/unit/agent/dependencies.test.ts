/** Profiles waiting for profiles, and findings summed up for a status message: pure agent core. */
import { strict as assert } from 'node:assert';
import { dependencyMessage, dependentsOf, deriveConditions, summarizeFindings, unreadyDependencies } from '@kplane/agent/core';
import type { ClusterProfile } from '@kplane/profile';

const profile = (name: string, opts: { dependsOn?: string[]; ready?: 'True' | 'False'; reason?: string; generation?: number; observed?: number; deleting?: boolean; namespace?: string } = {}): ClusterProfile =>
  ({
    apiVersion: 'kplane.dev/v1alpha1',
    kind: 'ClusterProfile',
    metadata: { name, namespace: opts.namespace ?? 'kplane-system', generation: opts.generation ?? 1, ...(opts.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { version: '1.0.0', layers: [], ...(opts.dependsOn ? { dependsOn: opts.dependsOn } : {}) },
    ...(opts.ready
      ? { status: { observedGeneration: opts.observed ?? opts.generation ?? 1, conditions: [{ type: 'Ready', status: opts.ready, reason: opts.reason ?? (opts.ready === 'True' ? 'Ready' : 'Progressing'), message: '', lastTransitionTime: '2026-01-01T00:00:00Z' }] } }
      : {}),
  }) as ClusterProfile;

describe('agent core: dependencies between profiles', () => {
  const others = [
    profile('crds', { ready: 'True' }),
    profile('operator', { ready: 'False', reason: 'Progressing' }),
    profile('stale', { ready: 'True', generation: 3, observed: 2 }),
    profile('fresh'),
    profile('going', { ready: 'True', deleting: true }),
    profile('elsewhere', { ready: 'True', namespace: 'team-x' }),
  ];
  const lookup = (namespace: string, name: string) => others.find((p) => p.metadata.name === name && p.metadata.namespace === namespace);

  it('goes ahead when every dependency is Ready for its current generation', () => {
    assert.deepEqual(unreadyDependencies(profile('app', { dependsOn: ['crds', 'crds'] }), lookup), []);
    assert.deepEqual(unreadyDependencies(profile('app'), lookup), []);
  });

  it('says why each other dependency is not Ready, in spec order, once each', () => {
    const waiting = unreadyDependencies(profile('app', { dependsOn: ['missing', 'operator', 'stale', 'fresh', 'going', 'elsewhere', 'crds', 'operator'] }), lookup);
    assert.deepEqual(waiting, [
      { name: 'missing', why: 'not found' },
      { name: 'operator', why: 'Ready=False (Progressing)' },
      { name: 'stale', why: 'its status is for generation 2 of 3' },
      { name: 'fresh', why: 'no status yet' },
      { name: 'going', why: 'being deleted' },
      { name: 'elsewhere', why: 'not found' },
    ]);
    assert.equal(dependencyMessage(waiting.slice(0, 2)), 'Waiting for profiles "missing" (not found), "operator" (Ready=False (Progressing)) to be Ready before applying anything (spec.dependsOn).');
  });

  it('never waits for itself (validation reports that)', () => {
    assert.deepEqual(unreadyDependencies(profile('app', { dependsOn: ['app'] }), lookup), []);
  });

  it('finds the profiles to look at again when one changes', () => {
    const all = [profile('a', { dependsOn: ['crds'] }), profile('b', { dependsOn: ['a', 'crds'] }), profile('c'), profile('d', { dependsOn: ['crds'], namespace: 'team-x' })];
    assert.deepEqual(dependentsOf('kplane-system', 'crds', all), ['kplane-system/a', 'kplane-system/b']);
    assert.deepEqual(dependentsOf('kplane-system', 'c', all), []);
  });

  it('conditions while waiting: SpecValid True, Applied and Ready False with DependencyNotReady, InSync untouched', () => {
    const derived = deriveConditions({ spec: 'waiting', message: 'Waiting for profile "crds" (not found) to be Ready before applying anything (spec.dependsOn).' });
    assert.deepEqual(derived.map((c) => [c.type, c.status, c.reason]), [['SpecValid', 'True', 'Valid'], ['Applied', 'False', 'DependencyNotReady'], ['Ready', 'False', 'DependencyNotReady']]);
  });
});

describe('agent core: findings as one status message', () => {
  const f = (message: string, ...path: (string | number)[]) => ({ message, path: ['spec', 'layers', 0, 'manifests', ...path] });

  it('each distinct problem once, most frequent first, with a count and where it is first', () => {
    const findings = [f('A is wrong', 0, 'data', 'x'), f('B is wrong', 1), f('A is wrong', 2), f('A is wrong', 3), f('C is wrong', 4), f('B is wrong', 5), f('D is wrong', 6)];
    assert.equal(summarizeFindings(findings), '3× A is wrong (first at spec.layers[0].manifests[0].data.x); 2× B is wrong (first at spec.layers[0].manifests[1]); spec.layers[0].manifests[4]: C is wrong (and 1 more distinct problem)');
  });

  it('637 of one kind read as one', () => {
    const message = summarizeFindings(Array.from({ length: 637 }, (_, i) => f('"${datasource}" names no declared variable', i)));
    assert.equal(message, '637× "${datasource}" names no declared variable (first at spec.layers[0].manifests[0])');
  });
});
