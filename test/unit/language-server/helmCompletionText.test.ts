/**
 * Helm completion reads only the Helm layer it completes in (language-server/src/service/
 * helmValues.ts helmCompletion): which layer the cursor is in comes from the parse, and only that
 * layer's lines are read. Every completion request goes through it first; it used to split the
 * whole text of the document each time (a 35k-line profile: `node test/out/bench/helmCompletionBench.js`).
 */
import { strict as assert } from 'node:assert';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { getLanguageService, textDocument, type ChartFacts, type HelmChartProvider } from '@kplane/language-server';

const URI = 'file:///work/completion.profile.yaml';

const facts: ChartFacts = { name: 'web', version: '1.0.0', values: { replicaCount: 1, greeting: 'hello', image: { tag: '1' } }, docs: {}, subcharts: [] };
const provider: HelmChartProvider = { chart: () => ({ state: 'ready', chart: facts }), versions: () => ({ state: 'ready', versions: ['1.1.0', '1.0.0'] }) };

const TEXT = `apiVersion: kplane.dev/v1alpha1
kind: ClusterProfile
metadata:
  name: completion
spec:
  version: 1.0.0
  layers:
    - name: apps
      namespace: apps
      manifests:
        - apiVersion: v1
          kind: ConfigMap
          metadata: { name: c }
          data: { a: b }
    - name: web
      namespace: web
      helm:
        repo: https://charts.example
        chart: web
        version: 1.0.0
        values:
          replicaCount: 2
          
        
`;

/** The document, counting the times its whole text is read. */
function counting(document: TextDocument): { document: TextDocument; whole: () => number } {
  let whole = 0;
  // Everything else is the document's own (read through the prototype).
  const wrapped = Object.create(document) as TextDocument;
  wrapped.getText = (range) => {
    if (!range) whole++;
    return document.getText(range);
  };
  return { document: wrapped, whole: () => whole };
}

describe('Helm completion reads only the layer it completes in', () => {
  const service = getLanguageService({ helmCharts: provider });
  const document = textDocument(URI, TEXT);
  // The parse completion reuses.
  service.doValidation(document);
  const lines = TEXT.split('\n');

  it("a completion in a Helm layer's values answers from the chart without reading the whole text", () => {
    const { document: counted, whole } = counting(document);
    const list = service.doComplete(counted, { line: lines.indexOf('          '), character: 10 });
    assert.deepEqual(list.items.map((i) => i.label).sort(), ['greeting', 'image']);
    assert.equal(whole(), 0);
  });

  it('after version: the versions, also without reading the whole text', () => {
    const text = TEXT.replace('version: 1.0.0\n        values', 'version: 1\n        values');
    const doc = textDocument(URI, text, 2);
    service.doValidation(doc);
    const { document: counted, whole } = counting(doc);
    const line = text.split('\n').indexOf('        version: 1');
    const list = service.doComplete(counted, { line, character: 18 });
    assert.deepEqual(list.items.map((i) => i.label), ['1.1.0', '1.0.0']);
    assert.equal(whole(), 0);
    service.doValidation(document);
  });

  it("a completion in a manifest layer reads the whole text once (the profile's own completion), not once more for Helm", () => {
    const { document: counted, whole } = counting(document);
    service.doComplete(counted, { line: lines.indexOf('          metadata: { name: c }'), character: 10 });
    assert.equal(whole(), 1);
  });
});
