/**
 * Sensitive values of awkward shapes through every output path this package and the CLI's diff
 * share: validation messages (a value failing its type, range or pattern), the values editor,
 * the masked spec as YAML and as a diff, and the text redaction the agent applies to API errors
 * (raw, JSON-escaped and Go-quoted). None of the values may appear in any output.
 */
import { strict as assert } from 'node:assert';
import { stringify } from 'yaml';
import { MASK, maskSpec, redactText, sensitiveValues, validateProfile } from '@kplane/profile';
import { unifiedDiff } from '@kplane/plane';
import { checkValues } from '@kplane/media';
import { redact } from '@kplane/agent/core';

const awkward = {
  quotes: 'pa"ss\'word"',
  backslashes: 'C:\\tmp\\new\\x41',
  newlines: 'line one\nline two\r\n\ttabbed',
  long: 'Z'.repeat(200),
  failing: 'q'.repeat(70) + '!',
  control: 'bell\x07and\x1fesc',
};
const oneChar = 'Ω';

function spec(values: Record<string, string>) {
  return {
    version: '1.0.0',
    variables: [
      ...Object.keys(awkward).map((name) => ({ name, type: 'string', sensitive: true, pattern: name === 'failing' ? '^[a-p]+$' : undefined })),
      { name: 'one', type: 'string', sensitive: true, default: oneChar },
      { name: 'port', type: 'integer', sensitive: true, maximum: 10 },
    ],
    values: { ...values, port: 1234567 },
    layers: [{ name: 'base', manifests: [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { a: '${quotes}' } }] }],
  };
}

/** Every form a value could leak in. */
function leaks(text: string, values: string[]): string[] {
  const found: string[] = [];
  for (const v of values) {
    const forms = [v, JSON.stringify(v).slice(1, -1)];
    if (v.length > 60) forms.push(v.slice(0, 57), JSON.stringify(v.slice(0, 57)).slice(1, -1));
    for (const form of forms) if (form.length >= 3 && text.includes(form)) found.push(form);
  }
  return found;
}

describe('sensitive values stay masked', () => {
  const values = Object.values(awkward);
  const s = spec(awkward);
  const doc = { apiVersion: 'kplane.dev/v1alpha1', kind: 'ClusterProfile', metadata: { name: 'p' }, spec: s };

  it('validation messages describe, never quote, a sensitive value that fails its type, range or pattern', () => {
    const findings = validateProfile(doc);
    const messages = findings.map((f) => f.message).join('\n');
    assert.ok(findings.some((f) => f.code === 'INVALID_VALUE' && /failing/.test(f.message)), messages);
    assert.match(messages, /the sensitive value \(71 characters\) does not match the pattern/);
    assert.ok(!messages.includes('1234567'), messages);
    assert.deepEqual(leaks(messages, values), []);
  });

  it('the values editor describes them too', () => {
    const text = stringify({ failing: awkward.failing, port: 1234567 });
    const messages = checkValues(text, s as never).findings.map((f) => f.message).join('\n');
    assert.match(messages, /the sensitive value/);
    assert.ok(!messages.includes('1234567'));
    assert.deepEqual(leaks(messages, values), []);
  });

  it('the masked spec, as YAML and as a diff of two versions, shows none of them (kplane diff, Open Status)', () => {
    const yaml = stringify(maskSpec(s));
    assert.deepEqual(leaks(yaml, values), []);
    assert.ok(!yaml.includes(oneChar) && !yaml.includes('1234567'), yaml);
    const changed = spec({ ...awkward, quotes: 'other"secret' });
    const patch = unifiedDiff(stringify(maskSpec(s)), stringify(maskSpec(changed, s)), { before: 'live', after: 'file' });
    assert.deepEqual(leaks(patch, [...values, 'other"secret']), []);
    assert.match(patch, /\+ {2}quotes: .*\(changed\)/);
    // A value that did not change shows no difference.
    assert.ok(!/^[+-] {2}long:/m.test(patch), patch);
  });

  it("text redaction (the agent's second line) masks raw, JSON-escaped and Go-quoted forms", () => {
    const secrets = sensitiveValues(s);
    const goQuoted = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t').replace(/\x07/g, '\\a').replace(/\x1f/g, '\\x1f');
    for (const v of values) {
      const apiError = `Secret "s" is invalid: stringData.a: Invalid value: "${goQuoted(v)}": bad`;
      const asJson = JSON.stringify({ message: `rejected ${v}` });
      for (const text of [`raw ${v} end`, apiError, asJson, JSON.stringify(asJson)]) {
        const out = redact(text, secrets);
        assert.deepEqual(leaks(out, [v]), [], out);
        assert.ok(out.includes(MASK), out);
      }
    }
    // Short values are left to structural masking: searching for one character would mask every occurrence.
    assert.equal(redactText('Ω', [oneChar]), 'Ω');
  });
});
