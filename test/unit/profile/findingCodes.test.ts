/**
 * The closed list of finding codes (profile/src/validation/codes.ts): docs/diagnostics.md is
 * generated from it and must be up to date, every entry says what the docs promise, and the
 * quick fixes are exactly the codes marked `quickFix: true`.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { diagnosticsDoc, FINDING_AREAS, FINDING_CODES, isFindingCode, type ClusterSchemaSource, type FindingCodeInfo, type JsonSchema } from '@kplane/profile';
import { getLanguageService, textDocument, QUICK_FIXES } from '@kplane/language-server';
import { repoRoot } from '../../fixtures/paths.js';
import { VALID, edit } from '../language-server/helpers.js';

const entries = Object.entries(FINDING_CODES) as [string, FindingCodeInfo][];

describe('finding codes: one closed list', () => {
  it('docs/diagnostics.md is generated from the list (run node scripts/gen-diagnostics-doc.mjs when this fails)', () => {
    const checkedIn = readFileSync(join(repoRoot, 'docs', 'diagnostics.md'), 'utf8');
    assert.ok(checkedIn === diagnosticsDoc(), 'docs/diagnostics.md is out of date: run node scripts/gen-diagnostics-doc.mjs');
    for (const [code] of entries) assert.ok(checkedIn.includes(`### ${code}\n`), `${code} has no section in docs/diagnostics.md`);
  });

  it('every code is SCREAMING_SNAKE, in a known area, with a meaning, an example and a fix', () => {
    for (const [code, info] of entries) {
      assert.match(code, /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/, code);
      assert.ok(info.area in FINDING_AREAS, `${code}: area ${info.area}`);
      for (const field of ['meaning', 'example', 'fix'] as const) assert.ok(info[field].trim().length > 0, `${code} lacks ${field}`);
    }
    assert.equal(isFindingCode('UNKNOWN_FIELD'), true);
    assert.equal(isFindingCode('NO_SUCH_CODE'), false);
    assert.equal(isFindingCode('toString'), false);
  });

  it('the quick fixes are exactly the codes marked quickFix', () => {
    const marked = entries.filter(([, info]) => info.quickFix).map(([code]) => code).sort();
    assert.deepEqual(Object.keys(QUICK_FIXES).sort(), marked);
  });

  it('every diagnostic of a badly broken file has a listed code', () => {
    const text = [
      edit(VALID, 'mode: enforce', 'mode: enforced\n    mode: monitor'),
      '---',
      'apiVersion: kplane.dev/v1alpha1\nkind: ClusterProfile\nmetadata:\n  name: Two\nspec:\n\tversion: "1"\n  layers: [{ name: a, dependsOn: [a, b] }',
    ].join('\n');
    const diagnostics = getLanguageService().doValidation(textDocument('file:///work/broken.profile.yaml', text));
    assert.ok(diagnostics.length >= 3, JSON.stringify(diagnostics.map((d) => d.code)));
    for (const d of diagnostics) assert.ok(isFindingCode(d.code), `${d.code} is not in profile/src/validation/codes.ts`);
  });

  it('CLUSTER_UNKNOWN_FIELD gets the misspelt-field quick fix, like UNKNOWN_FIELD', () => {
    const container = { type: 'object', properties: { name: { type: 'string' }, image: { type: 'string' }, imagePullPolicy: { type: 'string' }, ports: { type: 'array' } } };
    const deployment: JsonSchema = {
      type: 'object',
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        metadata: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { template: { type: 'object', properties: { metadata: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, spec: { type: 'object', properties: { containers: { type: 'array', items: container } } } } } } },
      },
    };
    const clusterSchemas: ClusterSchemaSource = { schemaFor: (apiVersion, kind) => (apiVersion === 'apps/v1' && kind === 'Deployment' ? deployment : undefined) };
    const service = getLanguageService({ clusterSchemas });
    const text = edit(VALID, '                    image: "${image}"', '                    image: "${image}"\n                    imagePullPolicee: Always');
    const document = textDocument('file:///work/cluster-fix.profile.yaml', text);
    const diagnostic = service.doValidation(document).find((d) => d.code === 'CLUSTER_UNKNOWN_FIELD');
    assert.ok(diagnostic, 'expected CLUSTER_UNKNOWN_FIELD');
    const actions = service.getCodeActions(document, diagnostic.range, [diagnostic]);
    assert.deepEqual(
      actions.map((a) => a.title),
      ['Change "imagePullPolicee" to "imagePullPolicy"'],
    );
    const change = actions[0].edit?.changes?.[document.uri]?.[0];
    assert.equal(change?.newText, 'imagePullPolicy');
    assert.equal(document.getText(change?.range), 'imagePullPolicee');
  });
});
