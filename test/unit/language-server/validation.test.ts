/**
 * Every kind of mistake the service finds, each on its exact range. Each case breaks the valid
 * profile in one place and expects exactly one diagnostic of its code, on the text named.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { DiagnosticSeverity } from 'vscode-languageserver-types';
import { parseYamlFile, positionsOf, textDocument } from '@kplane/language-server';
import { VALID, codes, diagnose, edit, expectOne, flatten, rangeOf } from './helpers.js';

interface Case {
  title: string;
  /** Replace `from` with `to` in the valid profile. */
  from: string;
  to: string;
  code: string;
  /** The diagnostic's range is this text (its `nth` occurrence in the broken profile). */
  on: string;
  nth?: number;
  /** Look for `on` only after this text. */
  after?: string;
  severity?: DiagnosticSeverity;
  /** Words the message must contain (it names the problem and the fix). */
  says?: string[];
}

const cases: Case[] = [
  // YAML
  { title: 'duplicate key', from: '  reconcile:\n    mode: enforce', to: '  reconcile:\n    mode: enforce\n    mode: monitor', code: 'YAML_DUPLICATE_KEY', on: 'mode', nth: 1 },
  { title: 'tab indentation', from: '    mode: enforce', to: '\tmode: enforce', code: 'YAML_TAB_AS_INDENT', on: '\t', says: ['spaces'] },
  // Schema
  { title: 'unknown field, on the key, with a suggestion', from: '  reconcile:', to: '  reconcle:', code: 'UNKNOWN_FIELD', on: 'reconcle', says: ['reconcile'] },
  { title: 'missing required field, on the parent key', from: '  version: 1.4.0\n', to: '', code: 'MISSING_REQUIRED_FIELD', on: 'spec', says: ['version'] },
  { title: 'missing field of a layer, on the list item', from: '    - name: base\n      manifests:', to: '    - manifests:', code: 'MISSING_REQUIRED_FIELD', on: 'manifests:', says: ['name'] },
  { title: 'wrong type', from: 'minReplicas: 1', to: 'minReplicas: one', code: 'WRONG_TYPE', on: 'one', says: ['integer'] },
  { title: 'enum value', from: 'mode: enforce', to: 'mode: enforced', code: 'INVALID_ENUM_VALUE', on: 'enforced', says: ['"enforce"', '"monitor"'] },
  { title: 'pattern (profile name)', from: 'name: edge\n', to: 'name: Edge_Site\n', code: 'INVALID_NAME', on: 'Edge_Site', says: ['DNS-1123'] },
  { title: 'manifest without kind', from: '          kind: Namespace\n', to: '', code: 'MANIFEST_MISSING_FIELD', on: 'apiVersion: v1', after: 'layers:', says: ['kind'] },
  // Semantics
  { title: 'version not semver', from: 'version: 1.4.0', to: 'version: "1.4"', code: 'INVALID_VERSION', on: '"1.4"', says: ['MAJOR.MINOR.PATCH'] },
  { title: 'layer name not a DNS-1123 label', from: '- name: web\n      dependsOn', to: '- name: Web_Layer\n      dependsOn', code: 'INVALID_LAYER_NAME', on: 'Web_Layer' },
  { title: 'duplicate layer', from: '- name: web\n      dependsOn', to: '- name: base\n      dependsOn', code: 'DUPLICATE_LAYER', on: 'base', nth: 1, says: ['rename'] },
  { title: 'dependsOn a missing layer', from: 'dependsOn: [base]', to: 'dependsOn: [base, cache]', code: 'UNKNOWN_LAYER', on: 'cache' },
  { title: 'dependsOn itself', from: 'dependsOn: [base]', to: 'dependsOn: [web]', code: 'DEPENDS_ON_SELF', on: 'web', after: 'dependsOn: [' },
  { title: 'dependency cycle, named', from: '    - name: base\n      manifests:', to: '    - name: base\n      dependsOn: [web]\n      manifests:', code: 'DEPENDENCY_CYCLE', on: 'base', nth: 1, says: ['base → web → base'] },
  { title: 'duplicate variable', from: '    - name: image\n', to: '    - name: replicas\n', code: 'DUPLICATE_VARIABLE', on: 'replicas', nth: 1 },
  { title: 'default of the wrong type', from: 'default: 2', to: 'default: two', code: 'INVALID_DEFAULT', on: 'two', says: ['integer'] },
  { title: 'value above maximum', from: '    replicas: 3', to: '    replicas: 30', code: 'INVALID_VALUE', on: '30', says: ['maximum 20'] },
  { title: 'ipv4 default', from: '      type: string\n      default: nginx:1.27', to: '      type: ipv4\n      default: 10.0.0.300', code: 'INVALID_DEFAULT', on: '10.0.0.300', says: ['IPv4'] },
  { title: 'cidr default', from: '      type: string\n      default: nginx:1.27', to: '      type: cidr\n      default: 10.0.0.0/40', code: 'INVALID_DEFAULT', on: '10.0.0.0/40', says: ['CIDR'] },
  { title: 'semver default', from: '      type: string\n      default: nginx:1.27', to: '      type: semver\n      default: v1', code: 'INVALID_DEFAULT', on: 'v1', after: 'semver', says: ['semantic version'] },
  { title: 'pattern of a string variable', from: '      default: nginx:1.27', to: '      default: nginx:1.27\n      pattern: "^registry/"', code: 'INVALID_DEFAULT', on: 'nginx:1.27', says: ['pattern'] },
  { title: 'enum of a variable', from: '      default: nginx:1.27', to: '      default: nginx:1.27\n      enum: [nginx:1.26]', code: 'INVALID_DEFAULT', on: 'nginx:1.27', says: ['not one of'] },
  { title: 'required variable without default or value', from: '      default: nginx:1.27', to: '      required: true', code: 'MISSING_REQUIRED_VALUE', on: 'image' },
  { title: 'values key naming no variable', from: '    replicas: 3', to: '    replicas: 3\n    replica: 4', code: 'UNKNOWN_VALUE', on: 'replica', after: 'replicas: 3' },
  { title: 'undeclared ${} reference, on the reference', from: 'image: "${image}"', to: 'image: "${registry}/${image}"', code: 'UNDECLARED_VARIABLE', on: '${registry}' },
  { title: 'unused variable is a warning', from: 'image: "${image}"', to: 'image: nginx', code: 'UNUSED_VARIABLE', on: 'image', nth: 0, severity: DiagnosticSeverity.Warning },
  { title: 'invalid manifest name', from: 'name: queue', to: 'name: Queue_1', code: 'INVALID_MANIFEST_NAME', on: 'Queue_1' },
  { title: 'scaling min > max', from: 'minReplicas: 1', to: 'minReplicas: 12', code: 'SCALING_RANGE', on: 'minReplicas: 12'.slice(13) },
  { title: 'scaling target that is no manifest', from: 'kind: Deployment, name: web, namespace: web }', to: 'kind: Deployment, name: api, namespace: web }', code: 'SCALING_TARGET_NOT_FOUND', on: 'target' },
  { title: 'Object metric without object', from: '        object: { apiVersion: v1, kind: ConfigMap, name: queue, namespace: web, fieldPath: .data.depth }\n', to: '', code: 'INVALID_METRIC', on: 'metric' },
  { title: 'Resource metric with object', from: 'type: Object', to: 'type: Resource\n        resource: { name: cpu }', code: 'INVALID_METRIC', on: 'object', nth: 0 },
  { title: 'metric with two targets', from: 'targetAverageValue: 10', to: 'targetAverageValue: 10\n        targetAverageUtilization: 60', code: 'SCALING_TARGET_COUNT', on: 'targetAverageUtilization', says: ['exactly one', 'remove one'] },
  { title: 'metric without a target', from: '        targetAverageValue: 10\n', to: '', code: 'SCALING_TARGET_COUNT', on: 'metric', says: ['targetAverageValue'] },
  { title: 'utilization on an Object metric', from: 'targetAverageValue: 10', to: 'targetAverageUtilization: 60', code: 'INVALID_METRIC', on: 'targetAverageUtilization', says: ['Resource'] },
  {
    title: 'utilization on containers without requests is a warning naming them',
    from: 'type: Object\n        object: { apiVersion: v1, kind: ConfigMap, name: queue, namespace: web, fieldPath: .data.depth }\n        targetAverageValue: 10',
    to: 'type: Resource\n        resource: { name: cpu }\n        targetAverageUtilization: 60',
    code: 'SCALING_NO_REQUESTS',
    on: 'targetAverageUtilization',
    severity: DiagnosticSeverity.Warning,
    says: ['"web"', 'resources.requests.cpu', 'targetAverageValue'],
  },
  { title: 'scale-down window that does not parse', from: 'cooldown: 2m', to: 'cooldown: 2m\n      scaleDownStabilization: soon', code: 'INVALID_DURATION', on: 'soon' },
  { title: 'duration that does not parse', from: 'cooldown: 2m', to: 'cooldown: 2 minutes', code: 'INVALID_DURATION', on: '2 minutes' },
  { title: 'reconcile interval that does not parse', from: 'interval: 10m', to: 'interval: 10min', code: 'INVALID_DURATION', on: '10min' },
];

describe('language service: diagnostics', () => {
  it('a valid profile has no diagnostics', () => {
    assert.deepEqual(diagnose(VALID), []);
  });

  for (const c of cases) {
    it(`${c.title}: ${c.code}`, () => {
      const text = edit(VALID, c.from, c.to);
      const diagnostics = diagnose(text);
      const d = expectOne(diagnostics, c.code, rangeOf(text, c.on, c.nth ?? 0, c.after));
      assert.equal(d.severity, c.severity ?? DiagnosticSeverity.Error);
      assert.equal(d.source, 'kplane');
      for (const word of c.says ?? []) assert.ok(String(d.message).includes(word), `message ${JSON.stringify(d.message)} should say ${word}`);
    });
  }

  it('a utilization target on containers that all request the resource: no finding', () => {
    const resource = edit(
      VALID,
      'type: Object\n        object: { apiVersion: v1, kind: ConfigMap, name: queue, namespace: web, fieldPath: .data.depth }\n        targetAverageValue: 10',
      'type: Resource\n        resource: { name: memory }\n        targetAverageUtilization: 80',
    );
    const text = edit(resource, '                    image: "${image}"\n', '                    image: "${image}"\n                    resources: { requests: { memory: 128Mi } }\n                  - name: sidecar\n                    image: busybox\n');
    expectOne(diagnose(text), 'SCALING_NO_REQUESTS');
    assert.match(String(diagnose(text).find((d) => d.code === 'SCALING_NO_REQUESTS')?.message), /container "sidecar" of Deployment web requests no memory/);
    const both = edit(text, '                    image: busybox\n', '                    image: busybox\n                    resources: { requests: { memory: 16Mi } }\n');
    assert.deepEqual(diagnose(both), []);
  });

  it('the same object twice, the layer namespace making them equal', () => {
    // The ConfigMap in layer web has no namespace; the layer's namespace (web) makes it web/queue.
    const text = edit(VALID, '                    image: "${image}"\n', '                    image: "${image}"\n        - apiVersion: v1\n          kind: ConfigMap\n          metadata:\n            name: queue\n');
    expectOne(diagnose(text), 'DUPLICATE_MANIFEST', rangeOf(text, 'queue', 1));
  });

  it('a cycle through three layers is reported once, naming the whole cycle', () => {
    const text = edit(edit(VALID, '    - name: base\n      manifests:', '    - name: base\n      dependsOn: [edge]\n      manifests:'), '  scaling:', '    - name: edge\n      dependsOn: [web]\n      manifests: []\n  scaling:');
    const d = expectOne(diagnose(text), 'DEPENDENCY_CYCLE');
    assert.match(String(d.message), /(base → edge → web → base|web → base → edge → web|edge → web → base → edge)/);
  });

  it('bad indentation and syntax errors in every document of a multi-document file', () => {
    const text = `${VALID}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n   data: 1\n---\n${edit(VALID, 'name: edge', 'name: edge2')}key: [unclosed\n`;
    const diagnostics = diagnose(text);
    const yaml = diagnostics.filter((d) => String(d.code).startsWith('YAML_'));
    const lines = text.split('\n');
    const secondDoc = lines.indexOf('   data: 1');
    assert.ok(yaml.some((d) => d.range.start.line >= secondDoc - 1 && d.range.start.line <= secondDoc), `no YAML problem at line ${secondDoc}: ${JSON.stringify(yaml.map((d) => [d.code, d.range.start.line]))}`);
    const lastLine = lines.indexOf('key: [unclosed');
    assert.ok(yaml.some((d) => d.range.start.line >= lastLine), `no YAML problem in the third document: ${JSON.stringify(yaml.map((d) => [d.code, d.range.start.line]))}`);
  });

  it('profile checks run for every ClusterProfile document of a file, with ranges in that document', () => {
    const second = edit(VALID, 'minReplicas: 1', 'minReplicas: 11');
    const text = `${VALID}---\n${second}`;
    const d = expectOne(diagnose(text), 'SCALING_RANGE');
    assert.equal(d.range.start.line, VALID.split('\n').length + second.split('\n').findIndex((l) => l.includes('minReplicas: 11')));
  });

  it('an edit to one document of a multi-document file re-parses only that document', () => {
    const second = edit(VALID, 'name: edge', 'name: edge2');
    const before = parseYamlFile(`${VALID}---\n${second}`);
    const firstValue = before.documents[0].value;
    const secondValue = before.documents[1].value;
    const after = parseYamlFile(`${VALID}---\n${edit(second, 'minReplicas: 1', 'minReplicas: 2')}`, before);
    assert.equal(after.documents[0].value, firstValue, 'the untouched document was parsed again');
    assert.notEqual(after.documents[1].value, secondValue);
  });

  it('documents taken over from the previous parse move to their new offsets, as a fresh parse places them', () => {
    const third = edit(VALID, 'name: edge', 'name: edge3');
    const texts = [
      `${VALID}---\n${VALID}---\n${third}`,
      // The first document grows: the two after it move down; two equal documents stay apart.
      `${edit(VALID, 'minReplicas: 1', 'minReplicas: 1\n      # a comment that moves everything after it')}---\n${VALID}---\n${third}`,
      // And shrinks again, with a problem in the last document.
      `${VALID}---\n${VALID}---\n${edit(third, 'mode: enforce', 'mode: enforced')}`,
    ];
    let previous = parseYamlFile(texts[0]);
    for (const text of texts.slice(1)) {
      const fresh = parseYamlFile(text);
      const taken = parseYamlFile(text, previous);
      assert.equal(taken.documents.length, fresh.documents.length);
      for (let i = 0; i < fresh.documents.length; i++) {
        assert.deepEqual(flatten(taken.documents[i].root), flatten(fresh.documents[i].root), `document ${i}`);
        assert.deepEqual([taken.documents[i].start, taken.documents[i].end, taken.documents[i].problems], [fresh.documents[i].start, fresh.documents[i].end, fresh.documents[i].problems]);
        assert.deepEqual(taken.documents[i].value, fresh.documents[i].value);
      }
      assert.notEqual(taken.documents[0].root, taken.documents[1].root, 'two equal documents share one tree');
      previous = taken;
    }
  });

  it('property: after any sequence of line edits, taking over the previous parse gives what a fresh parse gives', function () {
    // Hundreds of full re-validations: 26 s at load 20 on the shared 2-core machine, a few seconds alone.
    this.timeout(120_000);
    const pieces = ['', '---', '# note', '  extra: 1', 'kind: ConfigMap', '    - name: x', 'a: [1', '\t- tab', VALID.split('\n')[3]];
    const base = `${VALID}---\n${edit(VALID, 'name: edge', 'name: two')}---\n${edit(VALID, 'name: edge', 'name: three')}`;
    const lineCount = base.split('\n').length;
    const lineEdit = fc.tuple(fc.nat(lineCount - 1), fc.constantFrom(...pieces), fc.boolean());
    fc.assert(
      fc.property(fc.array(lineEdit, { minLength: 1, maxLength: 6 }), (edits) => {
        let lines = base.split('\n');
        let previous = parseYamlFile(base);
        for (const [at, piece, insert] of edits) {
          lines = [...lines.slice(0, at % lines.length), piece, ...lines.slice((at % lines.length) + (insert ? 0 : 1))];
          const text = lines.join('\n');
          const fresh = parseYamlFile(text);
          const taken = parseYamlFile(text, previous);
          assert.deepEqual(
            taken.documents.map((d) => [d.start, d.end, flatten(d.root), d.value, d.problems]),
            fresh.documents.map((d) => [d.start, d.end, flatten(d.root), d.value, d.problems]),
          );
          previous = taken;
        }
      }),
      { numRuns: 150 },
    );
  });

  it('YAML syntax can be left to another extension while profile findings stay', () => {
    const text = edit(edit(VALID, '  reconcile:\n    mode: enforce', '  reconcile:\n    mode: enforce\n    mode: monitor'), 'minReplicas: 1', 'minReplicas: 12');
    const d = diagnose(text, undefined, { yamlSyntax: false });
    assert.deepEqual(codes(d), ['SCALING_RANGE']);
  });

  it('a YAML file that is no profile gets nothing (it is not ours), unless named *.profile.yaml', () => {
    const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n';
    assert.deepEqual(diagnose(text, 'file:///work/configmap.yaml'), []);
    expectOne(diagnose(text, 'file:///work/x.profile.yaml'), 'NOT_A_PROFILE', rangeOf(text, 'apiVersion: v1'));
  });

  it('CRLF line endings keep ranges exact', () => {
    const text = edit(VALID, 'mode: enforce', 'mode: enforced').replace(/\n/g, '\r\n');
    expectOne(diagnose(text), 'INVALID_ENUM_VALUE', rangeOf(text, 'enforced'));
  });

  it('ranges count UTF-16 code units, as LSP does', () => {
    const text = edit(edit(VALID, 'name: edge\n', 'name: edge\n  annotations: { note: "🚀 café" }\n'), 'mode: enforce', 'mode: enforced');
    // The emoji is two UTF-16 units; a range computed in bytes or code points would be off.
    expectOne(diagnose(text), 'INVALID_ENUM_VALUE', rangeOf(text, 'enforced'));
    const emoji = edit(VALID, 'data:\n            depth: "0"', 'data:\n            depth: "🚀${nope}"');
    expectOne(diagnose(emoji), 'UNDECLARED_VARIABLE', rangeOf(emoji, '${nope}'));
  });
});

describe('language server: positions of diagnostics without the line map', () => {
  it('gives what document.positionAt gives, for any text (\\r\\n and \\r included) and offsets in any order (property)', () => {
    const text = fc.array(fc.constantFrom('a', ' ', '\n', '\r', '\r\n', 'é', '😀'), { maxLength: 60 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(text, fc.array(fc.integer({ min: -2, max: 70 }), { maxLength: 8 }), (t, offsets) => {
        const document = textDocument('file:///p.profile.yaml', t);
        assert.deepEqual(positionsOf(document, t, offsets), offsets.map((o) => document.positionAt(o)));
      }),
      { numRuns: 500 },
    );
  });
});
