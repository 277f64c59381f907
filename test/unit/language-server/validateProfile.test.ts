/**
 * validateProfile on plain objects, as the agent calls it on what it reads from the API server:
 * no YAML, server-set metadata and status present, findings addressed by JSON path.
 */
import { strict as assert } from 'node:assert';
import { parse } from 'yaml';
import { hasErrors, validateProfile, type ClusterProfile } from '@kplane/profile';
import { VALID } from './helpers.js';

function fromApiServer(): ClusterProfile {
  const profile = parse(VALID) as ClusterProfile;
  profile.metadata = {
    ...profile.metadata,
    namespace: 'kplane-system',
    uid: '0b7c7c9e-7f0e-4c43-9d59-3c0c8a5e1f00',
    resourceVersion: '4711',
    generation: 3,
    creationTimestamp: '2026-11-23T10:00:00Z',
    managedFields: [{ manager: 'kplane', operation: 'Apply', apiVersion: 'kplane.dev/v1alpha1' }],
  };
  profile.status = { observedGeneration: 2, conditions: [{ type: 'Ready', status: 'True', reason: 'Applied', message: 'ok', lastTransitionTime: '2026-11-23T10:01:00Z' }] };
  return profile;
}

describe('validateProfile on objects from the API server', () => {
  it('a valid profile with server-set metadata and status has no findings', () => {
    assert.deepEqual(validateProfile(fromApiServer()), []);
  });

  it('findings carry JSON paths, codes and severities, and hasErrors tells errors from warnings', () => {
    const profile = fromApiServer();
    profile.spec.layers[1].dependsOn = ['base', 'web'];
    profile.spec.layers[0].dependsOn = ['web'];
    const findings = validateProfile(profile);
    const cycle = findings.find((f) => f.code === 'DEPENDENCY_CYCLE');
    assert.ok(cycle, JSON.stringify(findings));
    assert.deepEqual(cycle.path.slice(0, 2), ['spec', 'layers']);
    assert.match(cycle.message, /→/);
    assert.ok(findings.some((f) => f.code === 'DEPENDS_ON_SELF' && f.path.join('/') === 'spec/layers/1/dependsOn/1'));
    assert.equal(hasErrors(findings), true);
    assert.equal(hasErrors([{ code: 'UNUSED_VARIABLE', severity: 'warning', message: 'x', path: [] }]), false);
  });

  it('never throws, whatever it is given', () => {
    for (const input of [undefined, null, 0, 'x', [], {}, { spec: null }, { kind: 'ClusterProfile', spec: { layers: 'x' } }, Object.create(null)]) {
      const findings = validateProfile(input);
      assert.ok(Array.isArray(findings) && findings.length > 0 && !findings.some((f) => f.code === 'INTERNAL_ERROR'), JSON.stringify(input));
    }
  });
});
