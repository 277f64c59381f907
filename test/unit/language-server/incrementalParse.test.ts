/**
 * The incremental re-parse of large profiles must give exactly what a full parse gives: same
 * tree, same offsets, same value; and decline (undefined) whenever the full parse finds a problem.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { INCREMENTAL_MIN_CHARS, reparse, parseYamlFile, type ParsedFile } from '@kplane/language-server';
import { generateProfile } from '../../bench/lspBench.js';
import { flatten } from './helpers.js';

const BASE = generateProfile(11_000, 'incremental');

/** Re-parses incrementally and in full, compares; returns what to edit next and whether the increment was taken. */
function check(prevText: string, prev: ParsedFile, text: string): [ParsedFile, boolean] {
  const full = parseYamlFile(text);
  const incremental = reparse(prevText, prev, text);
  if (!incremental) return [full, false];
  const fullProblems = [...full.problems, ...full.documents.flatMap((d) => d.problems)];
  assert.deepEqual(fullProblems, [], 'the incremental path accepted text the full parse finds problems in');
  assert.equal(incremental.documents.length, 1);
  assert.deepEqual(incremental.documents[0].value, full.documents[0].value);
  assert.deepEqual(flatten(incremental.documents[0].root), flatten(full.documents[0].root));
  return [incremental, true];
}

describe('language service: incremental re-parse of large profiles', () => {
  it('is used for a large profile, and an edit inside one manifest re-parses only that manifest', () => {
    assert.ok(BASE.length >= INCREMENTAL_MIN_CHARS, `test setup: ${BASE.length} chars is below the incremental threshold`);
    const prev = parseYamlFile(BASE);
    const at = BASE.indexOf('containerPort: 80', BASE.length / 2);
    const text = `${BASE.slice(0, at)}containerPort: 8080${BASE.slice(at + 'containerPort: 80'.length)}`;
    const result = reparse(BASE, prev, text);
    assert.ok(result, 'a one-number edit inside a manifest should take the incremental path');
    check(BASE, parseYamlFile(BASE), text);
  });

  it('declines edits that change structure around the item, and small documents', () => {
    const prev = parseYamlFile(BASE);
    const at = BASE.indexOf('    - name: layer-30');
    assert.equal(reparse(BASE, prev, `${BASE.slice(0, at)}  ${BASE.slice(at)}`), undefined, 'an edit on a dash line is structural');
    const small = 'apiVersion: v1\nkind: ClusterProfile\nspec:\n  layers:\n    - name: a\n';
    assert.equal(reparse(small, parseYamlFile(small), small.replace('name: a', 'name: b')), undefined);
  });

  it('property: random edit sequences give what full parses give', function () {
    this.timeout(300_000);
    const lines = BASE.split('\n');
    // Mostly what typing does (letters, digits, new keys), some of everything that breaks YAML.
    const typing = ['', ' ', 'x', 'y', '8', '9', '${v}', '\n                    extra: 1', '\n            labels: { a: b }', '# note'];
    const breaking = [': ', '- ', '"', "'", '{', '[', ']', '}', '\n', '\n          ', '\n  top: 1', ',', '|', '\t', '&a ', '*a'];
    const pieces = [...typing, ...typing, ...typing, ...breaking];
    let incrementalSteps = 0;
    let steps = 0;
    fc.assert(
      fc.property(
        fc.array(fc.record({ line: fc.integer({ min: 100, max: lines.length - 100 }), at: fc.nat(40), cut: fc.nat(5), piece: fc.constantFrom(...pieces) }), { minLength: 1, maxLength: 4 }),
        (edits) => {
          let prevText = BASE;
          let prev = parseYamlFile(prevText);
          for (const e of edits) {
            const lineStart = prevText.split('\n', e.line).join('\n').length + 1;
            const lineText = prevText.slice(lineStart, prevText.indexOf('\n', lineStart));
            // People type after the indentation; edits inside it are covered by the declines above.
            const indent = lineText.length - lineText.trimStart().length;
            const at = lineStart + Math.min(indent + e.at, lineText.length);
            const text = prevText.slice(0, at) + e.piece + prevText.slice(Math.min(at + e.cut, lineStart + lineText.length));
            const [next, incremental] = check(prevText, prev, text);
            prev = next;
            steps++;
            if (incremental) incrementalSteps++;
            prevText = text;
          }
        },
      ),
      { numRuns: Number(process.env.KPLANE_PROPERTY_RUNS ?? 15), seed: Number(process.env.KPLANE_PROPERTY_SEED ?? 11) },
    );
    assert.ok(incrementalSteps > steps / 4, `the incremental path took only ${incrementalSteps} of ${steps} edits`);
  });
});
