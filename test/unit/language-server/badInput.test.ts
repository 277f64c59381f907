/**
 * Hostile and broken files: each gets a diagnostic, with bounded memory and no crash (how long
 * that takes: npm run bench:bad-input). A fast-check property then throws thousands of mutated
 * profiles at the service.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { getLanguageService, textDocument } from '@kplane/language-server';
import { VALID, codes } from './helpers.js';
import { billionLaughs, deepNesting, twentyMegabytes } from '../../fixtures/hostileYaml.js';

const URI = 'file:///work/bad.profile.yaml';

function timed(text: string, uri = URI): { codes: string[]; heapMB: number } {
  const before = process.memoryUsage().heapUsed;
  const diagnostics = getLanguageService().doValidation(textDocument(uri, text));
  return { codes: codes(diagnostics), heapMB: (process.memoryUsage().heapUsed - before) / 1024 / 1024 };
}

describe('language service: bad input', () => {
  it('an alias bomb ("billion laughs")', () => {
    const result = timed(billionLaughs());
    assert.deepEqual(result.codes, ['ALIAS_BOMB']);
  });

  it('10,000 levels of nesting, flow and block', () => {
    for (const text of Object.values(deepNesting())) {
      const result = timed(text);
      assert.ok(result.codes.includes('TOO_DEEP') || result.codes.includes('FILE_TOO_LARGE'), result.codes.join());
    }
  });

  it('a 20 MB file', () => {
    const result = timed(twentyMegabytes(VALID));
    assert.deepEqual(result.codes, ['FILE_TOO_LARGE']);
    assert.ok(result.heapMB < 100, `heap grew by ${result.heapMB} MB`);
  });

  it('binary and non-UTF-8 content', () => {
    const binary = timed(`apiVersion: kplane.dev/v1alpha1\n\u0000\u0001\u0002PK\u0003\u0004`);
    assert.deepEqual(binary.codes, ['BINARY_CONTENT']);
    // What a UTF-8 decoder makes of Latin-1 bytes: replacement characters.
    const latin1 = timed(VALID.replace('edge', 'caf\ufffd'));
    assert.deepEqual(latin1.codes, ['BINARY_CONTENT']);
  });

  it('an empty file, and one with only comments', () => {
    assert.deepEqual(timed('').codes, ['EMPTY_PROFILE']);
    assert.deepEqual(timed('# nothing yet\n').codes, ['EMPTY_PROFILE']);
  });

  it('a YAML file that is no profile', () => {
    assert.deepEqual(timed('apiVersion: v1\nkind: Secret\n').codes, ['NOT_A_PROFILE']);
    assert.deepEqual(timed('- just\n- a list\n').codes, ['NOT_A_PROFILE']);
    assert.deepEqual(timed('apiVersion: v1\nkind: Secret\n', 'file:///work/secret.yaml').codes, []);
  });

  it('a profile whose parts have the wrong shapes', () => {
    const shapes = ['spec: 3', 'spec: [1, 2]', 'spec: { layers: 7, variables: "x", values: [1], scaling: {} }', 'spec: { layers: [null, 3, [], { name: 5, dependsOn: 9, manifests: [null, 1, { metadata: 3 }] }] }'];
    for (const spec of shapes) {
      const result = timed(`apiVersion: kplane.dev/v1alpha1\nkind: ClusterProfile\nmetadata: { name: x }\n${spec}\n`);
      assert.ok(result.codes.length > 0 && !result.codes.includes('INTERNAL_ERROR'), `${spec}: ${result.codes.join()}`);
    }
  });

  it('property: thousands of mutated profiles never throw, always terminate, never report INTERNAL_ERROR', function () {
    this.timeout(120_000);
    const service = getLanguageService();
    const lines = VALID.split('\n');
    const pieces = ['', ' ', '  ', '\t', '-', '- ', ':', ': ', '{', '}', '[', ']', '"', "'", '&a ', '*a', '!!str ', '${', '${x}', '}', '#', '---\n', '\n', '|', '>', '?', ',', '\u0000', '🚀', 'null', '~', '0x1F', '1e309', 'true'];
    const mutation = fc.oneof(
      // Replace a slice of a line with a piece of YAML syntax.
      fc.record({ kind: fc.constant('splice' as const), line: fc.nat(lines.length - 1), at: fc.nat(40), cut: fc.nat(6), piece: fc.constantFrom(...pieces) }),
      // Delete, duplicate or move whole lines.
      fc.record({ kind: fc.constant('lines' as const), line: fc.nat(lines.length - 1), count: fc.integer({ min: 1, max: 5 }), op: fc.constantFrom('delete', 'duplicate', 'indent', 'dedent') }),
      // Arbitrary text somewhere.
      fc.record({ kind: fc.constant('text' as const), line: fc.nat(lines.length - 1), text: fc.string({ maxLength: 12 }) }),
    );
    let version = 0;
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 6 }), (mutations) => {
        const out = [...lines];
        for (const m of mutations) {
          const i = Math.min(m.line, out.length - 1);
          if (i < 0) break;
          if (m.kind === 'splice') out[i] = out[i].slice(0, m.at) + m.piece + out[i].slice(m.at + m.cut);
          else if (m.kind === 'text') out[i] = out[i] + m.text;
          else if (m.op === 'delete') out.splice(i, m.count);
          else if (m.op === 'duplicate') out.splice(i, 0, ...out.slice(i, i + m.count));
          else if (m.op === 'indent') for (let j = i; j < Math.min(out.length, i + m.count); j++) out[j] = `  ${out[j]}`;
          else for (let j = i; j < Math.min(out.length, i + m.count); j++) out[j] = out[j].replace(/^ {1,2}/, '');
        }
        const document = textDocument(URI, out.join('\n'), ++version);
        const started = performance.now();
        const diagnostics = service.doValidation(document);
        // The editor features must survive the same text.
        const position = document.positionAt(Math.floor(document.getText().length / 2));
        service.doComplete(document, position);
        service.doHover(document, position);
        service.findDocumentSymbols(document);
        service.findDefinition(document, position);
        service.getCodeActions(document, { start: position, end: position }, diagnostics);
        assert.ok(performance.now() - started < 1000, 'took over a second');
        assert.ok(!codes(diagnostics).includes('INTERNAL_ERROR'), JSON.stringify(diagnostics.find((d) => d.code === 'INTERNAL_ERROR')));
        for (const d of diagnostics) {
          assert.ok(d.range.start.line <= d.range.end.line && typeof d.message === 'string' && d.message.length > 0);
        }
      }),
      { numRuns: Number(process.env.KPLANE_PROPERTY_RUNS ?? 2000), seed: Number(process.env.KPLANE_PROPERTY_SEED ?? 20261123) },
    );
  });
});
