/**
 * The Profiles view's reading of workspace files (issue 10, finding 5): with the language
 * server's limits and no throw. Before, an alias bomb threw out of the scan and emptied the view,
 * and a 300,000-document file took the extension host 12 s and 547 MB.
 */
import { strict as assert } from 'node:assert';
import { profilesInText } from '@kplane/extension';
import { billionLaughs, manyDocuments } from '../../fixtures/hostileYaml.js';
import { VALID } from '../language-server/helpers.js';

describe('Profiles view: hostile workspace files', () => {
  it('lists the profiles of a file, and of the file beside an alias bomb', () => {
    assert.deepEqual(profilesInText(VALID), [{ name: 'edge', namespace: 'kplane-system', version: '1.4.0' }]);
    const mixed = `${billionLaughs()}---\n${VALID.replace('name: edge', 'name: beside')}`;
    assert.deepEqual(profilesInText(mixed).map((p) => p.name), ['beside'], 'the bomb is skipped, not thrown');
    assert.deepEqual(profilesInText(billionLaughs()), []);
  });

  it('440,000 documents, 10,000 levels of nesting and a file over the size limit list nothing, within a hang guard', function () {
    this.timeout(60_000);
    const cases = {
      documents: `${manyDocuments()}kind: ClusterProfile\n`,
      nesting: `kind: ClusterProfile\nmetadata: { name: deep }\nspec: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`,
      large: `kind: ClusterProfile\nmetadata: { name: big }\n${'# padding\n'.repeat(500_000)}`,
    };
    // Hang guards that issue 10 asks for as tests, not speed claims: each at least 10x what it took
    // on the loaded 2-core machine (load average 13-15: 0.3 s, 1.2 s, 0 s; 2026-12-01); the
    // 440,000 documents' stays below the 12 s the scan took before the limits.
    const budgetMs: Record<keyof typeof cases, number> = { documents: 5000, nesting: 15_000, large: 5000 };
    for (const [name, text] of Object.entries(cases) as [keyof typeof cases, string][]) {
      const started = performance.now();
      const found = profilesInText(text);
      const ms = performance.now() - started;
      assert.deepEqual(found, [], name);
      assert.ok(ms < budgetMs[name], `${name}: ${ms} ms`);
    }
  });

  it('wrong shapes never throw', () => {
    for (const text of ['kind: ClusterProfile\nmetadata: 3\n', 'kind: ClusterProfile\nmetadata: { name: [1] }\n', 'kind: ClusterProfile\n---\n- a\n', 'kind: ClusterProfile\nmetadata: { name: x, namespace: 7 }\nspec: { version: { a: 1 } }\n']) {
      assert.doesNotThrow(() => profilesInText(text), text);
    }
    assert.deepEqual(profilesInText('kind: ClusterProfile\nmetadata: { name: x, namespace: 7 }\n'), [{ name: 'x', namespace: 'kplane-system', version: '?' }]);
  });
});
