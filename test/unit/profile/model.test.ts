import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import {
  allCrds,
  clusterProfileSchema,
  parseDuration,
  renderProfile,
  scanReferences,
  setCondition,
  type ClusterProfile,
  type ClusterProfileSpec,
} from '@kplane/profile';
import { repoRoot } from '../../fixtures/paths.js';

describe('profile model', () => {
  describe('CRDs generated from the schema', () => {
    it('match the checked-in agent/deploy/crds files', () => {
      for (const crd of allCrds) {
        const file = join(repoRoot, 'agent', 'deploy', 'crds', `${crd.metadata.name}.yaml`);
        assert.deepEqual(parse(readFileSync(file, 'utf8')), crd, `${file} drifted from profile/src/schema.ts: run node scripts/gen-crds.mjs`);
      }
    });

    it('gen-crds --check agrees', () => {
      execFileSync(process.execPath, [join(repoRoot, 'scripts', 'gen-crds.mjs'), '--check'], { stdio: 'pipe' });
    });

    it('carry no keyword a structural schema forbids', () => {
      const text = JSON.stringify(allCrds);
      assert.ok(!text.includes('"additionalProperties":false'));
      assert.ok(!text.includes('"$schema"'));
    });
  });

  describe('JSON Schema', () => {
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    const validate = ajv.compile(clusterProfileSchema);
    const example = parse(readFileSync(join(repoRoot, 'test', 'fixtures', 'profiles', 'edge-baseline.profile.yaml'), 'utf8')) as ClusterProfile;

    it('accepts the model example of the issue', () => {
      assert.ok(validate(example), JSON.stringify(validate.errors));
    });

    it('rejects an unknown field and a bad version', () => {
      const bad = structuredClone(example) as any;
      bad.spec.versoin = '1';
      bad.spec.version = 'one';
      assert.equal(validate(bad), false);
      const messages = (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
      assert.ok(messages.some((m) => m.startsWith('/spec must NOT have additional properties')), messages.join('\n'));
      assert.ok(messages.some((m) => m.startsWith('/spec/version must match pattern')), messages.join('\n'));
    });
  });

  describe('conditions', () => {
    it('move lastTransitionTime only when status flips', () => {
      const t0 = new Date('2026-01-01T00:00:00Z');
      const t1 = new Date('2026-01-01T00:05:00Z');
      const t2 = new Date('2026-01-01T00:10:00Z');
      let list = setCondition([], { type: 'Ready', status: 'False', reason: 'Applying', message: 'a' }, t0);
      list = setCondition(list, { type: 'Ready', status: 'False', reason: 'Waiting', message: 'b' }, t1);
      assert.equal(list[0].lastTransitionTime, '2026-01-01T00:00:00Z');
      assert.equal(list[0].reason, 'Waiting');
      list = setCondition(list, { type: 'Ready', status: 'True', reason: 'Ready', message: 'c' }, t2);
      assert.equal(list.length, 1);
      assert.equal(list[0].lastTransitionTime, '2026-01-01T00:10:00Z');
    });
  });

  describe('render', () => {
    const spec: ClusterProfileSpec = {
      version: '1.0.0',
      variables: [
        { name: 'replicas', type: 'integer', default: 2 },
        { name: 'image', type: 'string', required: true },
      ],
      values: { image: 'nginx:1.27' },
      layers: [
        {
          name: 'web',
          namespace: 'web',
          manifests: [
            {
              apiVersion: 'apps/v1',
              kind: 'Deployment',
              metadata: { name: 'web' },
              spec: { replicas: '${replicas}', note: 'img=${image} cost=$${HOME}', missing: '${nope}' },
            },
            { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'web' } },
          ],
        },
      ],
    };

    it('takes the typed value for a whole-string reference and text elsewhere', () => {
      const result = renderProfile(spec);
      const deployment = result.layers[0].manifests[0] as any;
      assert.equal(deployment.spec.replicas, 2);
      assert.equal(deployment.spec.note, 'img=nginx:1.27 cost=${HOME}');
      assert.equal(deployment.metadata.namespace, 'web');
      assert.equal(result.layers[0].manifests[1].metadata.namespace, undefined, 'Namespace is cluster-scoped');
    });

    it('reports an undeclared variable with its path', () => {
      const result = renderProfile(spec);
      assert.equal(result.problems.length, 1);
      assert.equal(result.problems[0].code, 'UNDECLARED_VARIABLE');
      assert.deepEqual(result.problems[0].path, ['layers', 0, 'manifests', 0, 'spec', 'missing']);
    });

    it('scans references but not escapes, nor ${…} without a variable name', () => {
      assert.deepEqual(scanReferences('a ${x} $${y} ${ z } ${_k9}'), [
        { name: 'x', start: 2, end: 6 },
        { name: '_k9', start: 20, end: 26 },
      ]);
    });
  });

  it('parses durations', () => {
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('10'), undefined);
    assert.equal(parseDuration('5x'), undefined);
  });
});
