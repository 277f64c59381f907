import { strict as assert } from 'node:assert';
import type { ClusterProfile, Variable } from '@kplane/profile';
import { checkValues, valuesSchema, valuesToYaml, judgeValues, type ProfileFinding } from '@kplane/media';

const variables: Variable[] = [
  { name: 'replicas', type: 'integer', default: 2, minimum: 1, maximum: 10 },
  { name: 'region', type: 'string', enum: ['eu', 'us'] },
  { name: 'podCidr', type: 'cidr' },
  { name: 'gateway', type: 'ipv4' },
  { name: 'image', type: 'semver' },
  { name: 'debug', type: 'boolean' },
  { name: 'token', type: 'string', required: true, sensitive: true },
];
const spec = { variables };

const codes = (text: string, kept: string[] = ['token']) => checkValues(text, spec, kept).findings.map((f) => f.code);

describe('values editor checks', () => {
  it('accepts good values and returns them typed', () => {
    const r = checkValues('replicas: 3\nregion: eu\npodCidr: 10.0.0.0/16\ngateway: 10.0.0.1\nimage: 1.2.3\ndebug: true\n', spec, ['token']);
    assert.deepEqual(r.findings, []);
    assert.deepEqual(r.values, { replicas: 3, region: 'eu', podCidr: '10.0.0.0/16', gateway: '10.0.0.1', image: '1.2.3', debug: true });
  });

  it('rejects a wrong type where it is, naming the variable and the expected type', () => {
    const text = 'replicas: many\n';
    const r = checkValues(text, spec, ['token']);
    assert.equal(r.values, undefined);
    assert.equal(r.findings.length, 1);
    const [f] = r.findings;
    assert.equal(f.code, 'VALUE_TYPE_MISMATCH');
    assert.match(f.message, /"replicas": expected an integer, got "many"/);
    assert.equal(text.slice(f.start, f.end), 'many');
  });

  it('rejects out-of-range, non-enum, malformed network and version values', () => {
    assert.deepEqual(codes('replicas: 0\n'), ['VALUE_OUT_OF_RANGE']);
    assert.deepEqual(codes('replicas: 11\n'), ['VALUE_OUT_OF_RANGE']);
    assert.deepEqual(codes('replicas: 2.5\n'), ['VALUE_TYPE_MISMATCH']);
    assert.deepEqual(codes('region: mars\n'), ['VALUE_NOT_IN_ENUM']);
    assert.deepEqual(codes('podCidr: 10.0.0.0/33\n'), ['VALUE_TYPE_MISMATCH']);
    assert.deepEqual(codes('gateway: 300.1.1.1\n'), ['VALUE_TYPE_MISMATCH']);
    assert.deepEqual(codes('image: v1\n'), ['VALUE_TYPE_MISMATCH']);
    assert.deepEqual(codes('debug: "yes"\n'), ['VALUE_TYPE_MISMATCH']);
  });

  it('rejects undeclared names, nested values, non-maps and YAML syntax errors', () => {
    const r = checkValues('replicaz: 3\n', spec, ['token']);
    assert.deepEqual(r.findings.map((f) => f.code), ['UNDECLARED_VALUE']);
    assert.match(r.findings[0].message, /"replicaz" is not a variable of this profile: use one of replicas, region/);
    assert.deepEqual(codes('replicas: [1, 2]\n'), ['VALUE_NOT_SCALAR']);
    assert.deepEqual(codes('replicas:\n'), ['VALUE_NOT_SCALAR']);
    assert.deepEqual(codes('- 1\n- 2\n'), ['VALUES_NOT_A_MAP']);
    const syntax = codes('replicas: [1\n');
    assert.ok(syntax.length > 0 && syntax.every((c) => c === 'YAML_SYNTAX'), `got ${syntax.join(', ')}`);
    assert.ok(codes('replicas: 3\nreplicas: 4\n').includes('YAML_SYNTAX'), 'duplicate keys are an error');
  });

  it('requires a required value without default unless it is kept (sensitive, not shown)', () => {
    assert.deepEqual(codes('replicas: 3\n', []), ['MISSING_REQUIRED_VALUE']);
    assert.deepEqual(codes('replicas: 3\n', ['token']), []);
    assert.deepEqual(codes('{}\n', ['token']), []);
    assert.deepEqual(codes('', ['token']), []);
  });

  it('round-trips values through the editor text', () => {
    const values = { replicas: 3, region: 'eu', debug: false };
    assert.deepEqual(checkValues(valuesToYaml(values), spec, ['token']).values, values);
    assert.equal(valuesToYaml({}), '{}\n');
  });

  it('builds a values schema that names each variable and hides sensitive defaults', () => {
    const schema = valuesSchema([...variables, { name: 'secret', type: 'string', default: 'hunter2', sensitive: true }]) as {
      properties: Record<string, Record<string, unknown>>;
      additionalProperties: boolean;
      required: string[];
    };
    assert.equal(schema.additionalProperties, false);
    assert.deepEqual(schema.required, ['token']);
    assert.deepEqual({ type: schema.properties.replicas.type, minimum: schema.properties.replicas.minimum, maximum: schema.properties.replicas.maximum }, { type: 'integer', minimum: 1, maximum: 10 });
    assert.deepEqual(schema.properties.region.enum, ['eu', 'us']);
    assert.ok(!JSON.stringify(schema).includes('hunter2'), 'a sensitive default leaked into the schema');
  });
});

describe('values gate (host side)', () => {
  const profile: ClusterProfile = {
    apiVersion: 'kplane.dev/v1alpha1',
    kind: 'ClusterProfile',
    metadata: { name: 'edge', namespace: 'kplane-system', resourceVersion: '7' },
    spec: { version: '1.0.0', variables, values: { replicas: 2, token: 's3cret' }, layers: [{ name: 'base', manifests: [] }] },
  };

  it('keeps hidden sensitive values and reports only findings the edit introduced', () => {
    const seen: unknown[] = [];
    const validate = (doc: unknown): ProfileFinding[] => {
      seen.push(doc);
      const values = (doc as ClusterProfile).spec.values ?? {};
      const findings: ProfileFinding[] = [{ code: 'UNUSED_VARIABLE', severity: 'warning', message: 'was there before', path: ['spec', 'layers', 0] }];
      if (values.region === 'us') findings.push({ code: 'INVALID_VALUE', severity: 'error', message: 'us is closed', path: ['spec', 'values', 'region'] });
      if (values.replicas === 7) findings.push({ code: 'SCALING_RANGE', severity: 'warning', message: 'seven', path: ['spec', 'layers', 0, 'manifests', 0] });
      return findings;
    };
    const ok = judgeValues('replicas: 5\n', profile, validate);
    assert.deepEqual(ok.findings, []);
    assert.deepEqual(ok.values, { replicas: 5, token: 's3cret' });
    assert.deepEqual((seen[1] as ClusterProfile).spec.values, { replicas: 5, token: 's3cret' });

    const text = 'replicas: 5\nregion: us\n';
    const bad = judgeValues(text, profile, validate);
    assert.equal(bad.values, undefined);
    assert.deepEqual(bad.findings.map((f) => f.code), ['INVALID_VALUE']);
    assert.equal(text.slice(bad.findings[0].start, bad.findings[0].end), 'us');

    const warned = judgeValues('replicas: 7\n', profile, validate);
    assert.deepEqual(warned.values, { replicas: 7, token: 's3cret' });
    assert.match(warned.findings[0].message, /seven \(at spec\.layers\.0\.manifests\.0, after substituting these values\)/);
  });

  it('never calls the validator when the local checks already failed', () => {
    let calls = 0;
    const r = judgeValues('replicas: lots\n', profile, () => {
      calls++;
      return [];
    });
    assert.equal(r.values, undefined);
    assert.equal(calls, 0);
  });
});
