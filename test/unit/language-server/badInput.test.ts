/**
 * Hostile and broken files: each gets a diagnostic, with bounded memory and no crash (how long
 * that takes: npm run bench:bad-input). A fast-check property then throws thousands of mutated
 * profiles at the service.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { getLanguageService, textDocument } from '@kplane/language-server';
import { VALID, codes } from './helpers.js';
import { billionLaughs, deepNesting, manyDocuments, manyNodes, twentyMegabytes, wideMapping } from '../../fixtures/hostileYaml.js';
import { generateProfile } from '../../bench/lspBench.js';

const URI = 'file:///work/bad.profile.yaml';

function timed(text: string, uri = URI): { codes: string[]; heapMB: number; ms: number; messages: string[]; lines: number[] } {
  const before = process.memoryUsage().heapUsed;
  const started = performance.now();
  const diagnostics = getLanguageService().doValidation(textDocument(uri, text));
  const ms = performance.now() - started;
  return { codes: codes(diagnostics), heapMB: (process.memoryUsage().heapUsed - before) / 1024 / 1024, ms, messages: diagnostics.map((d) => String(d.message)), lines: diagnostics.map((d) => d.range.start.line) };
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

  // The time budgets below are hang guards that issue 10 asks for as tests (bounded validation
  // time whatever the content), not speed claims (those are npm run bench:bad-input's): each is
  // at least 10x what it took on the loaded 2-core machine (load average 13-15: 0.8 s, 0.19 s,
  // 0.03 s, 2.7 s; 2026-12-01) and below what it took before the limits (in the titles), so a
  // regression to the old behaviour still fails.
  it('440,000 one-line documents: TOO_MANY_DOCUMENTS, nothing parsed (was 21 s and 900 MB)', function () {
    this.timeout(60_000);
    const result = timed(manyDocuments());
    assert.deepEqual(result.codes, ['TOO_MANY_DOCUMENTS']);
    assert.match(result.messages[0], /^This file has 440,000 YAML documents; kplane checks files of up to 10,000 documents, so it checked none of them\. Split it into several files\.$/);
    assert.ok(result.ms < 10_000 && result.heapMB < 150, `${result.ms} ms, heap +${result.heapMB} MB`);
  });

  it('a flow list of 2 million items: TOO_MANY_NODES before parsing (was 4 s and 340 MB for no finding)', function () {
    this.timeout(60_000);
    const result = timed(manyNodes());
    assert.deepEqual(result.codes, ['TOO_MANY_NODES']);
    assert.match(result.messages[0], /^This file holds about 2,000,00\d YAML nodes .* kplane checks up to 500,000 per file, so it checked neither this document nor those after it\. Split the file/);
    assert.ok(result.ms < 3000 && result.heapMB < 100, `${result.ms} ms, heap +${result.heapMB} MB`);
  });

  it('the documents after the one that passes the node limit are not parsed; those before are checked', function () {
    this.timeout(60_000);
    const result = timed(`${VALID.replace('version: 1.4.0', 'version: one')}---
${manyNodes()}---
${VALID.replace('edge', 'other').replace('version: 1.4.0', 'version: two')}`);
    assert.deepEqual(result.codes, ['INVALID_VERSION', 'TOO_MANY_NODES'], 'the first document is checked, the third is not');
    assert.equal(result.lines[1], VALID.split('\n').length - 1, 'on the --- that starts the second document');
  });

  it('anchors or a YAML error in a document of over 100,000 nodes: TOO_MANY_NODES naming the error, without the full parser (was 94 s and 2.1 GB)', function () {
    this.timeout(60_000);
    const anchored = timed(`a: [${'0,'.repeat(150_000)}0]\nx: &a 1\n`);
    assert.deepEqual(anchored.codes, ['TOO_MANY_NODES']);
    assert.match(anchored.messages[0], /^This document holds about 150,00\d YAML nodes and needs kplane's full YAML parser \(it uses anchors \(&name\)\), which reads documents of up to 100,000 nodes; kplane did not check it\. Write the values out/);
    assert.ok(anchored.ms < 1500, `${anchored.ms} ms`);
    const text = `a:\n${'  - 0\n'.repeat(60_000)}b: [1, 2\nc: 3\n${'d: 4\n'.repeat(50_000)}`;
    const broken = timed(text);
    assert.deepEqual(broken.codes, ['TOO_MANY_NODES']);
    assert.match(broken.messages[0], /needs kplane's full YAML parser \(js-yaml reports: .+\), .* Fix that error, or split the document\./);
    assert.ok(broken.lines[0] >= 60_001 && broken.lines[0] <= 60_003, `the diagnostic is at js-yaml's error, line ${broken.lines[0]}`);
    const bomb = timed(manyNodes(true));
    assert.deepEqual(bomb.codes, ['TOO_MANY_NODES']);
  });

  it('a 20,000-key mapping with an anchor is read in linear time, its duplicate key still found (was 56 s: yaml searched each key linearly)', function () {
    this.timeout(90_000);
    const result = timed(wideMapping(20_000));
    assert.deepEqual(result.codes, ['YAML_DUPLICATE_KEY', 'NOT_A_PROFILE']);
    assert.equal(result.lines[0], 20_002, 'on the repeated key');
    assert.ok(result.ms < 30_000, `${result.ms} ms`);
  });

  it('a real 50,000-line profile (1.6 MB) is far from every limit', function () {
    this.timeout(60_000);
    const result = timed(generateProfile(50_000, 'limits'));
    assert.ok(!result.codes.some((c) => c.startsWith('TOO_MANY') || c === 'FILE_TOO_LARGE'), result.codes.join());
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
        // A hang guard (issue 10: bounded time whatever the content), not a speed claim: the
        // slowest of 2,000 runs took 0.3 s on the loaded 2-core machine (load average 13).
        assert.ok(performance.now() - started < 5000, 'took over 5 seconds');
        assert.ok(!codes(diagnostics).includes('INTERNAL_ERROR'), JSON.stringify(diagnostics.find((d) => d.code === 'INTERNAL_ERROR')));
        for (const d of diagnostics) {
          assert.ok(d.range.start.line <= d.range.end.line && typeof d.message === 'string' && d.message.length > 0);
        }
      }),
      { numRuns: Number(process.env.KPLANE_PROPERTY_RUNS ?? 2000), seed: Number(process.env.KPLANE_PROPERTY_SEED ?? 20261123) },
    );
  });
});
