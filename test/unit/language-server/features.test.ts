/** Completion, hover, symbols, go-to-definition and quick fixes of the language service. */
import { strict as assert } from 'node:assert';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { CodeAction, Position } from 'vscode-languageserver-types';
import { getLanguageService, textDocument } from '@kplane/language-server';
import { VALID, diagnose, edit, expectOne, codes } from './helpers.js';

const URI = 'file:///work/test.profile.yaml';

/** The text with `|` removed, and the position where it was. */
function cursor(textWithBar: string): { text: string; position: Position } {
  const at = textWithBar.indexOf('|');
  assert.ok(at >= 0, 'test setup: no | cursor');
  const text = textWithBar.slice(0, at) + textWithBar.slice(at + 1);
  return { text, position: textDocument(URI, text).positionAt(at) };
}

function labels(textWithBar: string): string[] {
  const { text, position } = cursor(textWithBar);
  return getLanguageService().doComplete(textDocument(URI, text), position).items.map((i) => i.label);
}

function applyFix(text: string, action: CodeAction): string {
  const edits = action.edit?.changes?.[URI];
  assert.ok(edits?.length, `${action.title} has no edits`);
  return TextDocument.applyEdits(textDocument(URI, text), edits);
}

function fixes(text: string, code: string): CodeAction[] {
  const service = getLanguageService();
  const document = textDocument(URI, text);
  const diagnostic = expectOne(service.doValidation(document), code);
  return service.getCodeActions(document, diagnostic.range, [diagnostic]);
}

describe('language service: editor features', () => {
  describe('completion', () => {
    it('offers the keys of spec not yet written', () => {
      const found = labels(edit(VALID, '  reconcile:\n', '  |\n  reconcile:\n'));
      assert.deepEqual(found.sort(), ['dependsOn', 'description', 'paused']);
    });

    it('offers layer keys inside a layer, and list-item keys after "- "', () => {
      assert.deepEqual(labels(edit(VALID, '      dependsOn: [base]\n', '      dependsOn: [base]\n      |\n')).sort(), ['helm', 'substitute', 'wait']);
      const item = labels(edit(VALID, '  scaling:\n', '  scaling:\n    - |\n'));
      assert.ok(item.includes('minReplicas') && item.includes('target'), item.join());
    });

    it('offers enum values and booleans for a value', () => {
      assert.deepEqual(labels(edit(VALID, 'mode: enforce', 'mode: |')).sort(), ['enforce', 'monitor']);
      assert.deepEqual(labels(edit(VALID, '      type: integer', '      type: |')).sort(), ['boolean', 'cidr', 'integer', 'ipv4', 'number', 'semver', 'string']);
      assert.deepEqual(labels(edit(VALID, '  reconcile:\n', '  paused: |\n  reconcile:\n')).sort(), ['false', 'true']);
    });

    it('offers layer names in dependsOn, flow and block', () => {
      assert.deepEqual(labels(edit(VALID, 'dependsOn: [base]', 'dependsOn: [|]')), ['base', 'web']);
      assert.deepEqual(labels(edit(VALID, 'dependsOn: [base]', 'dependsOn:\n        - |')), ['base', 'web']);
    });

    it('offers variable names after ${, with type and value', () => {
      const { text, position } = cursor(edit(VALID, 'depth: "0"', 'depth: "${|'));
      const items = getLanguageService().doComplete(textDocument(URI, text), position).items;
      assert.deepEqual(items.map((i) => i.label), ['replicas', 'image']);
      assert.equal(items[0].detail, 'integer = 3');
      assert.equal(items[0].insertText, 'replicas}');
    });

    it('while typing, uses the last parse for names instead of parsing every keystroke', () => {
      const service = getLanguageService();
      service.doValidation(textDocument(URI, VALID, 1));
      // Version 2 is mid-edit and not valid YAML; the layer names still come from version 1.
      const { text, position } = cursor(edit(VALID, 'dependsOn: [base]', 'dependsOn: [|\n  {{{'));
      const items = service.doComplete(textDocument(URI, text, 2), position).items;
      assert.deepEqual(items.map((i) => i.label), ['base', 'web']);
    });

    it('reads 100,000-character lines in one pass (the regular expressions before were quadratic: 20 s at 20,000 dashes)', () => {
      const n = 100_000;
      // Names come from the last parse (of VALID), so this measures completion, not the YAML parser.
      const service = getLanguageService();
      service.doValidation(textDocument(URI, VALID, 1));
      const typed = (textWithBar: string) => {
        const { text, position } = cursor(textWithBar);
        return service.doComplete(textDocument(URI, text, 2), position).items.map((i) => i.label);
      };
      // A line of list markers ending in ':', one ending in a comment, a run of dependsOn: [, a long key above the cursor.
      assert.deepEqual(typed(`spec:\n  ${'- '.repeat(n)}:|`), []);
      assert.deepEqual(typed(`spec:\n  mode:${' '.repeat(n)}# x|`), []);
      assert.deepEqual(typed(edit(VALID, 'dependsOn: [base]', `dependsOn: [${'dependsOn: ['.repeat(n / 10)}|`)), ['base', 'web']);
      assert.deepEqual(typed(edit(VALID, '  reconcile:\n', `  a${' '.repeat(n)}b\n  |\n  reconcile:\n`)).sort(), ['dependsOn', 'description', 'paused']);
      // The same shapes still complete where they should.
      assert.deepEqual(typed(edit(VALID, 'mode: enforce', `mode:${' '.repeat(n)}|`)).sort(), ['enforce', 'monitor']);
      assert.deepEqual(typed(edit(VALID, 'depth: "0"', `depth: "${'$x'.repeat(n / 2)}\${|`)), ['replicas', 'image']);
    });

    it('offers a whole profile in an empty file', () => {
      assert.deepEqual(labels('|'), ['ClusterProfile', 'apiVersion', 'kind', 'metadata', 'spec', 'status']);
    });
  });

  describe('hover', () => {
    it('shows the schema documentation of a key', () => {
      const { text, position } = cursor(edit(VALID, '      dependsOn: [base]', '      depe|ndsOn: [base]'));
      const hover = getLanguageService().doHover(textDocument(URI, text), position);
      assert.ok(hover && typeof hover.contents === 'object' && 'value' in hover.contents);
      assert.match(hover.contents.value, /\*\*dependsOn\*\*/);
      assert.match(hover.contents.value, /Layers that must be applied/);
    });

    it('shows the type and value of the variable under ${…}', () => {
      const { text, position } = cursor(edit(VALID, 'replicas: "${replicas}"', 'replicas: "${repl|icas}"'));
      const hover = getLanguageService().doHover(textDocument(URI, text), position);
      assert.ok(hover && typeof hover.contents === 'object' && 'value' in hover.contents);
      assert.match(hover.contents.value, /\*\*replicas\*\* \(variable, `integer`\)/);
      assert.match(hover.contents.value, /Value: `3` — default `2`/);
      const line = text.split('\n')[hover.range!.start.line];
      assert.equal(line.slice(hover.range!.start.character, hover.range!.end.character), '${replicas}');
    });

    it('masks sensitive values', () => {
      const { text, position } = cursor(edit(edit(VALID, '      type: string\n', '      type: string\n      sensitive: true\n'), 'image: "${image}"', 'image: "${ima|ge}"'));
      const hover = getLanguageService().doHover(textDocument(URI, text), position);
      assert.ok(hover && typeof hover.contents === 'object' && 'value' in hover.contents);
      assert.ok(!hover.contents.value.includes('nginx'), hover.contents.value);
    });
  });

  it('outlines variables, layers with their manifests, and scaling policies', () => {
    const [profile] = getLanguageService().findDocumentSymbols(textDocument(URI, VALID));
    assert.equal(profile.name, 'ClusterProfile edge');
    const names = (profile.children ?? []).map((c) => [c.name, (c.children ?? []).map((g) => [g.name, (g.children ?? []).map((m) => m.name)])]);
    assert.deepEqual(names, [
      ['variables', [['replicas', []], ['image', []]]],
      ['layers', [['base', ['Namespace web', 'ConfigMap queue']], ['web', ['Deployment web']]]],
      ['scaling', [['web', []]]],
    ]);
  });

  describe('go to definition', () => {
    it('from a dependsOn entry to the layer', () => {
      const { text, position } = cursor(edit(VALID, 'dependsOn: [base]', 'dependsOn: [ba|se]'));
      const [location] = getLanguageService().findDefinition(textDocument(URI, text), position);
      assert.deepEqual(location.range, { start: { line: 21, character: 12 }, end: { line: 21, character: 16 } });
    });

    it('from ${var} to the variable', () => {
      const { text, position } = cursor(edit(VALID, 'image: "${image}"', 'image: "${im|age}"'));
      const [location] = getLanguageService().findDefinition(textDocument(URI, text), position);
      assert.deepEqual(location.range, { start: { line: 15, character: 12 }, end: { line: 15, character: 17 } });
    });
  });

  describe('quick fixes', () => {
    it('declares an undeclared variable', () => {
      const broken = edit(VALID, 'depth: "0"', 'depth: "${depth}"');
      const [fix] = fixes(broken, 'UNDECLARED_VARIABLE');
      assert.equal(fix.title, 'Declare variable "depth" under spec.variables');
      assert.deepEqual(codes(diagnose(applyFix(broken, fix))), []);
    });

    it('declares the first variable of a profile without variables', () => {
      const broken = edit(edit(edit(VALID, /  variables:[\s\S]*?  values:\n    replicas: 3\n/.exec(VALID)![0], ''), 'replicas: "${replicas}"', 'replicas: 2'), 'image: "${image}"', 'image: "${img}"');
      const fixed = applyFix(broken, fixes(broken, 'UNDECLARED_VARIABLE')[0]);
      assert.deepEqual(codes(diagnose(fixed)), []);
      assert.match(fixed, /\n {2}variables:\n {4}- name: img\n {6}type: string\n {2}layers:/);
    });

    it('offers only legal names: ${…} without a variable name gets no diagnostic and so no fix', () => {
      const text = edit(VALID, 'depth: "0"', 'depth: "${1} ${__data.fields.Pod} ${datasource:queryparam}"');
      assert.deepEqual(codes(diagnose(text)), []);
    });

    it('escapes an undeclared reference as $${…}, which keeps the text', () => {
      const broken = edit(VALID, 'depth: "0"', 'depth: "${depth} and ${1}"');
      const escape = fixes(broken, 'UNDECLARED_VARIABLE').find((f) => f.title.startsWith('Escape'));
      assert.ok(escape, 'no escape fix');
      assert.equal(escape.title, 'Escape as $${depth} (keep the text)');
      const fixed = applyFix(broken, escape);
      assert.ok(fixed.includes('depth: "$${depth} and ${1}"'), fixed);
      assert.deepEqual(codes(diagnose(fixed)), []);
    });

    it('escapes a reference inside a block scalar (a script)', () => {
      const broken = edit(VALID, 'depth: "0"', 'run.sh: |\n              echo "${HOME}" "${1}"\n              exit 0');
      const escape = fixes(broken, 'UNDECLARED_VARIABLE').find((f) => f.title.startsWith('Escape'))!;
      const fixed = applyFix(broken, escape);
      assert.ok(fixed.includes('echo "$${HOME}" "${1}"'), fixed);
      assert.deepEqual(codes(diagnose(fixed)), []);
    });

    it('disables substitution for the object: new annotations, existing block and flow annotations, flow metadata', () => {
      const cases: [string, string, RegExp][] = [
        ['          metadata:\n            name: queue\n            namespace: web\n', '          metadata:\n            name: queue\n            namespace: web\n', /namespace: web\n {12}annotations:\n {14}kplane\.dev\/substitute: disabled\n {10}data:/],
        ['          metadata:\n            name: queue\n', '          metadata:\n            name: queue\n            annotations:\n              team: core\n', /team: core\n {14}kplane\.dev\/substitute: disabled\n/],
        ['          metadata:\n            name: queue\n', '          metadata:\n            name: queue\n            annotations: { team: core }\n', /annotations: \{ team: core, kplane\.dev\/substitute: disabled \}/],
        ['          metadata:\n            name: queue\n            namespace: web\n', '          metadata: { name: queue, namespace: web }\n', /metadata: \{ name: queue, namespace: web, annotations: \{ kplane\.dev\/substitute: disabled \} \}/],
      ];
      for (const [from, to, expected] of cases) {
        const broken = edit(edit(VALID, from, to), 'depth: "0"', 'depth: "${HOME}"');
        const disable = fixes(broken, 'UNDECLARED_VARIABLE').find((f) => f.title === 'Disable substitution for this object');
        assert.ok(disable, `no disable fix for ${to}`);
        const fixed = applyFix(broken, disable);
        assert.match(fixed, expected);
        assert.deepEqual(codes(diagnose(fixed)), [], fixed);
      }
    });

    it('disables substitution for the item of a ConfigMapList that holds the reference', () => {
      const list = 'apiVersion: v1\n          kind: ConfigMapList\n          items:\n            - metadata:\n                name: queue\n              data:\n                depth: "${HOME}"';
      const broken = edit(VALID, 'apiVersion: v1\n          kind: ConfigMap\n          metadata:\n            name: queue\n            namespace: web\n          data:\n            depth: "0"', list);
      const disable = fixes(broken, 'UNDECLARED_VARIABLE').find((f) => f.title === 'Disable substitution for this object')!;
      const fixed = applyFix(broken, disable);
      assert.match(fixed, /name: queue\n {16}annotations:\n {18}kplane\.dev\/substitute: disabled\n/);
      assert.deepEqual(codes(diagnose(fixed)), [], fixed);
    });

    it('removes a dependsOn entry naming a missing layer (flow and block lists)', () => {
      const flow = edit(VALID, 'dependsOn: [base]', 'dependsOn: [base, cache]');
      assert.deepEqual(codes(diagnose(applyFix(flow, fixes(flow, 'UNKNOWN_LAYER')[0]))), []);
      const block = edit(VALID, 'dependsOn: [base]', 'dependsOn:\n        - base\n        - cache');
      const fixed = applyFix(block, fixes(block, 'UNKNOWN_LAYER')[0]);
      assert.deepEqual(codes(diagnose(fixed)), []);
      assert.ok(fixed.includes('dependsOn:\n        - base\n      namespace: web'), fixed);
    });

    it('renames a duplicate layer', () => {
      const broken = edit(VALID, '- name: web\n      dependsOn: [base]', '- name: base\n      dependsOn: []');
      const [fix] = fixes(broken, 'DUPLICATE_LAYER');
      assert.equal(fix.title, 'Rename layer to "base-2"');
      assert.deepEqual(codes(diagnose(applyFix(broken, fix))), []);
    });

    it('corrects a misspelt field', () => {
      const broken = edit(VALID, '  reconcile:', '  reconcle:');
      assert.deepEqual(codes(diagnose(applyFix(broken, fixes(broken, 'UNKNOWN_FIELD')[0]))), []);
    });
  });
});
