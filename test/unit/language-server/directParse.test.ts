/**
 * The direct parser must build exactly what the js-yaml path builds (same nodes, offsets, plain
 * flags and values), and hand over whatever it is not sure of. Checked on hand-picked cases, on
 * the real-shaped bench profile (which it must answer: that is what it is for) and on thousands
 * of mutations of profiles.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { directParse, jsYamlParse } from '@kplane/language-server';
import { VALID } from './helpers.js';
import { realShapedProfile } from '../../bench/realShapedProfile.js';
import { generateProfile } from '../../bench/lspBench.js';

/** Whether the direct parser answered; when it did, js-yaml must answer the same. */
function agree(text: string): boolean {
  const direct = directParse(text, 200);
  if (!direct) return false;
  const js = jsYamlParse(text, 200);
  assert.ok(js, `the direct parser read what js-yaml rejects:\n${text}`);
  assert.deepStrictEqual(direct.value, js.value, text);
  assert.deepStrictEqual(direct.root, js.root, text);
  return true;
}

describe('language service: the direct parser agrees with js-yaml', () => {
  it('answers on the real-shaped and generated bench profiles and the test profile', () => {
    assert.ok(agree(realShapedProfile(3000, 'unit')));
    assert.ok(agree(generateProfile(1000, 'unit')));
    assert.ok(agree(VALID));
  });

  it('reads block scalars (literal, folded, every chomping), escapes, core-schema scalars, empty values and compact lists', () => {
    const cases = [
      'a: |\n  x\n\n  y\n\n\nb: 1\n',
      'a: |+\n  x\n\n\nb: 1\n',
      'a: |-\n  x\n  \n',
      'a: >\n  x\n  y\n\n  z\nb: 1\n',
      'args:\n  - |\n    set -e\n    exec app\n  - >-\n    folded\n    text\n  - plain\nb: 1\n',
      'a: |\n  x\n# c\nb: 2\n',
      'a: "x\\ty\\u00e9\\x41\\"" # c\nb: \'it\'\'s\'\n',
      'a: 0x1F\nb: 1_000\nc: .inf\nd: -.5\ne: 1e3\nf: +1\ng: 010\nh: 0o7\ni: True\nj: NULL\nk: ~\nl: 1.0.0\nm: "1"\nn: 100m\n',
      'a:\nb:   # c\nc: 1\n',
      'a:\n- x\n- y: 1\n  z: ~\nb: 1\n',
      'a: { b: [1, "two", \'three\'], c: {} }\nf: [ ]\ng:\n  - - { e: 1 }\n  -   { d: 1 }\n',
      '---\n# c\n\nkey with space: v\n"quoted key": v\n\'sq\': v\nurl: http://x:80/a#b\n',
      'a:\n  -\n    b: 1\n',
    ];
    for (const text of cases) assert.ok(agree(text), text);
  });

  it('hands over anchors, tags, multi-line scalars and flows, tabs, CRLF, duplicate and numeric keys, empty list items', () => {
    const cases = [
      'a: &x 1\nb: *x\n',
      'a: !!str 1\n',
      'a: one\n  two\n',
      'a: "one\n  two"\n',
      'a: [x,\n  y]\n',
      'a:\n\tb: 1\n',
      'a: 1\r\nb: 2\r\n',
      'a: 1\na: 2\n',
      '80: http\n',
      '- \n- x\n',
      'a: |2\n   x\n',
      '? a\n: b\n',
    ];
    for (const text of cases) assert.equal(directParse(text, 200), undefined, text);
  });

  it('property: on mutated profiles, whenever it answers, it answers what js-yaml does', function () {
    this.timeout(120_000);
    const sources = [VALID.split('\n'), realShapedProfile(400, 'unit').split('\n').slice(0, 220).concat([''])];
    const pieces = ['', ' ', '  ', '- ', ': ', '{', '}', '[', ']', '"', "'", '# c', '${x}', 'null', '~', '1e3', 'true', ', ', '|', '>-', '|+', '>', '\n', '\n  ', ':', '-', '#', '\\', '"a\\nb"', '&a', '*a', '!x', '? ', '\t', '1_0', '.5', '---', '...', "''"];
    let answered = 0;
    fc.assert(
      fc.property(
        fc.nat(1),
        fc.array(fc.record({ line: fc.nat(1000), at: fc.nat(40), cut: fc.nat(4), piece: fc.constantFrom(...pieces) }), { minLength: 1, maxLength: 3 }),
        (source, mutations) => {
          const out = [...sources[source]];
          for (const m of mutations) {
            const line = m.line % out.length;
            out[line] = out[line].slice(0, m.at) + m.piece + out[line].slice(m.at + m.cut);
          }
          if (agree(out.join('\n'))) answered++;
        },
      ),
      { numRuns: 3000, seed: 11 },
    );
    assert.ok(answered > 600, `the direct parser answered only ${answered} of 3000 mutations`);
  });
});
