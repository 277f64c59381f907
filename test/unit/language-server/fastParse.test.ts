/**
 * The js-yaml fast path must build exactly the tree the `yaml` parser builds: same nodes, same
 * offsets, same values. Checked on the fixture profiles and on thousands of mutations of them.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { fastParse, slowParse } from '@kplane/language-server';
import { VALID, flatten } from './helpers.js';

function agree(text: string): boolean {
  const fast = fastParse(text, 200);
  if (!fast) return false;
  const slow = slowParse(text);
  assert.deepEqual(slow.problems, [], `js-yaml accepted what yaml rejects: ${JSON.stringify(slow.problems)}\n${text}`);
  assert.deepEqual(fast.value, slow.value);
  assert.deepEqual(flatten(fast.root), flatten(slow.root), text);
  return true;
}

describe('language service: the fast parse path agrees with yaml', () => {
  it('on the test profile, and on flow, quoted, block-scalar and empty values', () => {
    assert.ok(agree(VALID));
    assert.ok(agree('a: { b: [1, "two", \'three\'], c: {} }\nd: |\n  text\n  more\ne:\nf: [ ]\ng: - x\n'.replace('g: - x\n', 'g:\n  - x\n  - y: 1\n    z: ~\n')));
  });

  it('answers for flow collections and block scalars as block sequence items (ports, RBAC rules, args: most real manifests)', () => {
    assert.ok(agree('a:\n  - { name: replicas, type: integer }\n  - [x, y]\n  - { b: [1, { c: 2 }] }\n  -   { d: 1 }\nb:\n  - - { e: 1 }\n'));
    assert.ok(agree('ports:\n  - { containerPort: 8080, name: http }\nrules:\n  - { apiGroups: [""], resources: [configmaps], verbs: [get] }\n'));
    assert.ok(agree('args:\n  - |\n    set -e\n    exec app\n  - >-\n    folded\n    text\n  - plain\nb: 1\n'));
  });

  it('falls back on anchors, duplicate keys and tabs', () => {
    assert.equal(fastParse('a: &x 1\nb: *x\n', 200), undefined);
    assert.equal(fastParse('a: 1\na: 2\n', 200), undefined);
    assert.equal(fastParse('a:\n\tb: 1\n', 200), undefined);
  });

  it('property: on mutated profiles, whenever the fast path answers, it answers what yaml does', function () {
    this.timeout(120_000);
    const lines = VALID.split('\n');
    const pieces = ['', ' ', '  ', '- ', ': ', '{', '}', '[', ']', '"', "'", '# c', '${x}', 'null', '~', '1e3', 'true', ', ', '|', '>-'];
    let answered = 0;
    fc.assert(
      fc.property(
        fc.array(fc.record({ line: fc.nat(lines.length - 1), at: fc.nat(30), cut: fc.nat(4), piece: fc.constantFrom(...pieces) }), { minLength: 1, maxLength: 3 }),
        (mutations) => {
          const out = [...lines];
          for (const m of mutations) out[m.line] = out[m.line].slice(0, m.at) + m.piece + out[m.line].slice(m.at + m.cut);
          if (agree(out.join('\n'))) answered++;
        },
      ),
      { numRuns: 1500, seed: 7 },
    );
    assert.ok(answered > 300, `the fast path answered only ${answered} of 1500 mutations`);
  });
});
