import assert from 'node:assert/strict';
import { MASKED, managerFields, maskPair, objectChange, project, sameValue, sideBySide, unifiedDiff, type FieldSet } from '@kplane/plane';

const AGENT = 'kplane-agent';
const cm = (data: Record<string, string>, managed: FieldSet, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: {
    name: 'settings',
    namespace: 'app',
    uid: 'u-1',
    resourceVersion: '42',
    creationTimestamp: '2026-11-30T10:00:00Z',
    annotations: { 'kplane.dev/applied-hash': 'abc', 'other.example/note': 'kept' },
    managedFields: [
      { manager: AGENT, operation: 'Apply', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: managed },
      { manager: 'kubectl-edit', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:annotations': { 'f:other.example/note': {} } } } },
    ],
  },
  data,
  ...extra,
});
const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'app', name: 'settings' };
const none = { paths: [], values: [] };

describe('plane: live diff', () => {
  it('projects an object onto a managedFields set: map fields, keyed list items, set values, leaves', () => {
    const set: FieldSet = {
      'f:spec': {
        'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:name': {}, 'f:image': {} } },
        'f:finalizers': { 'v:"a"': {} },
        'f:selector': {},
      },
    };
    const obj = {
      spec: {
        containers: [{ name: 'sidecar', image: 's' }, { name: 'web', image: 'nginx', imagePullPolicy: 'Always' }],
        finalizers: ['a', 'b'],
        selector: { matchLabels: { app: 'web' } },
        replicas: 3,
      },
    };
    assert.deepEqual(project(obj, set), { spec: { containers: [{ name: 'web', image: 'nginx' }], finalizers: ['a'], selector: { matchLabels: { app: 'web' } } } });
  });

  it('merges every fields entry of one manager and ignores subresources', () => {
    const obj = {
      metadata: {
        managedFields: [
          { manager: AGENT, operation: 'Apply', fieldsV1: { 'f:data': { 'f:a': {} } } },
          { manager: AGENT, operation: 'Update', fieldsV1: { 'f:data': { 'f:b': {} } } },
          { manager: AGENT, operation: 'Update', subresource: 'status', fieldsV1: { 'f:status': {} } },
          { manager: 'other', operation: 'Apply', fieldsV1: { 'f:data': { 'f:c': {} } } },
        ],
      },
    };
    assert.deepEqual(managerFields(obj, AGENT), { 'f:data': { 'f:a': {}, 'f:b': {} } });
    assert.equal(managerFields({ metadata: {} }, AGENT), undefined);
  });

  it('shows a changed managed field and nothing of server noise or other managers', () => {
    const managed = { 'f:data': { 'f:color': {}, 'f:size': {} }, 'f:metadata': { 'f:annotations': { 'f:kplane.dev/applied-hash': {} } } };
    const live = cm({ color: 'blue', size: 'L', extra: 'by someone else' }, managed);
    const after = { ...cm({ color: 'green', size: 'L', extra: 'by someone else' }, managed), metadata: { ...cm({}, managed).metadata, resourceVersion: '43', annotations: { 'kplane.dev/applied-hash': 'def', 'other.example/note': 'kept' } } };
    const change = objectChange({ ref, live, after, masking: none }, AGENT, 'kind-a');
    assert.equal(change.action, 'update');
    assert.match(change.patch, /^--- kind-a: ConfigMap app\/settings \(live\)\n\+\+\+ kind-a: ConfigMap app\/settings \(after apply\)\n@@ /);
    assert.match(change.patch, /^-  color: blue$/m);
    assert.match(change.patch, /^\+  color: green$/m);
    for (const noise of ['resourceVersion', 'applied-hash', 'uid', 'managedFields', 'extra', 'other.example']) assert.ok(!change.patch.includes(noise), `${noise} in\n${change.patch}`);
    assert.equal(objectChange({ ref, live, after: live, masking: none }, AGENT, 'kind-a').action, 'unchanged');
  });

  it('finds an object unchanged whatever the key order of the two answers, and changed by one nested value', () => {
    assert.ok(sameValue({ a: 1, b: { c: [1, { d: 'x' }] } }, { b: { c: [1, { d: 'x' }] }, a: 1 }));
    assert.ok(!sameValue({ a: 1, b: { c: [1, { d: 'x' }] } }, { a: 1, b: { c: [1, { d: 'y' }] } }));
    assert.ok(!sameValue({ a: [1, 2] }, { a: [2, 1] }));
    assert.ok(!sameValue({ a: 1 }, { a: 1, b: undefined }));
    assert.ok(!sameValue([], {}));
    assert.ok(!sameValue(null, {}));
    const managed = { 'f:data': { 'f:color': {}, 'f:size': {} } };
    const live = cm({ color: 'blue', size: 'L' }, managed);
    const reordered = { data: { size: 'L', color: 'blue' }, metadata: live.metadata, kind: 'ConfigMap', apiVersion: 'v1' };
    assert.deepEqual(objectChange({ ref, live, after: reordered, masking: none }, AGENT, 'c'), { ref, action: 'unchanged', patch: '' });
  });

  it('shows an object to create whole and an object to prune whole', () => {
    const managed = { 'f:data': { 'f:color': {} } };
    const created = objectChange({ ref, after: cm({ color: 'green' }, managed), masking: none }, AGENT, 'c');
    assert.equal(created.action, 'create');
    assert.match(created.patch, /\(live, absent\)/);
    assert.match(created.patch, /^\+  color: green$/m);
    assert.ok(!/^-/m.test(created.patch.split('\n').slice(2).join('\n')));
    const pruned = objectChange({ ref, live: cm({ color: 'blue' }, managed), masking: none }, AGENT, 'c');
    assert.equal(pruned.action, 'prune');
    assert.match(pruned.patch, /\(pruned\)/);
    assert.match(pruned.patch, /^-  color: blue$/m);
  });

  it('lays the changed objects out side by side, in the same order, with a create and a prune as comments on the side where they do not exist', () => {
    const managed = { 'f:data': { 'f:color': {} } };
    const other = { ...ref, name: 'other' };
    const changes = [
      objectChange({ ref, live: cm({ color: 'blue' }, managed), after: cm({ color: 'green' }, managed), masking: none }, AGENT, 'c'),
      objectChange({ ref, live: cm({ color: 'same' }, managed), after: cm({ color: 'same' }, managed), masking: none }, AGENT, 'c'),
      objectChange({ ref: other, after: cm({ color: 'new' }, managed), masking: none }, AGENT, 'c'),
      objectChange({ ref: other, live: cm({ color: 'old' }, managed), masking: none }, AGENT, 'c'),
    ];
    const { live, after } = sideBySide(changes, 'p.profile.yaml on c');
    assert.equal((live.match(/^---$/gm) ?? []).length, 3, 'the unchanged object is left out');
    assert.deepEqual(live.match(/^# (update|create|prune): .*$/gm), after.match(/^# (update|create|prune): .*$/gm));
    assert.match(live, /color: blue/);
    assert.match(after, /color: green/);
    assert.match(live, /# create: ConfigMap app\/other\n# \(absent: applying creates it\)/);
    assert.match(after, /# prune: ConfigMap app\/other\n# \(pruned: applying deletes it\)/);
    assert.ok(!/same/.test(live + after));
    assert.deepEqual(sideBySide([changes[1]], 'x'), { live: '# x: live\n# no differences\n', after: '# x: after apply\n# no differences\n' });
  });

  it('masks sensitive values on both sides, including an old value no list knows, and still shows that it changes', () => {
    const managed = { 'f:data': { 'f:token': {}, 'f:url': {} } };
    const live = cm({ token: 'old-secret-value', url: 'https://u:new-secret@x' }, managed);
    const after = cm({ token: 'new-secret', url: 'https://u:new-secret@x' }, managed);
    const change = objectChange({ ref, live, after, masking: { paths: [['data', 'token']], values: ['new-secret'] } }, AGENT, 'c');
    assert.ok(!change.patch.includes('secret'), change.patch);
    assert.match(change.patch, new RegExp(`^-  token: ${MASKED}$`, 'm'));
    assert.match(change.patch, new RegExp(`^\\+  token: ${MASKED} \\(changed\\)$`, 'm'));
  });

  it("masks every value of a Secret's data, whatever the profile says", () => {
    const [a, b] = maskPair({ data: { password: 'aGVsbG8=' } }, { data: { password: 'd29ybGQ=', user: 'YWRtaW4=' } }, none, true);
    assert.deepEqual(a, { data: { password: MASKED } });
    assert.deepEqual(b, { data: { password: `${MASKED} (changed)`, user: MASKED } });
  });

  it('diffs 35k lines with a few changes, and falls back to a whole replacement past the edit bound', () => {
    const lines = Array.from({ length: 35_000 }, (_, i) => `line ${i}: ${'x'.repeat(i % 40)}`);
    const changed = [...lines];
    for (const i of [10, 17_000, 34_990]) changed[i] = `changed ${i}`;
    const patch = unifiedDiff(`${lines.join('\n')}\n`, `${changed.join('\n')}\n`, { before: 'a', after: 'b' });
    assert.equal((patch.match(/^@@ /gm) ?? []).length, 3);
    assert.equal((patch.match(/^-line/gm) ?? []).length, 3);
    const other = Array.from({ length: 6_000 }, (_, i) => `other ${i}`);
    const whole = unifiedDiff(`${lines.slice(0, 6_000).join('\n')}\n`, `${other.join('\n')}\n`, { before: 'a', after: 'b' });
    assert.match(whole, /^@@ -1,6000 \+1,6000 @@$/m);
    assert.equal(unifiedDiff('same\n', 'same\n', { before: 'a', after: 'b' }), '');
  });

  it('shows an object whose lines were all reordered as replaced whole, after a bounded search', () => {
    // The same lines in another order: no line count tells the search it cannot succeed, so it
    // runs to its bound (this case took 10 s with a bound of 4,000; mocha's timeout is the guard).
    const lines = Array.from({ length: 6_000 }, (_, i) => `line ${i}`);
    const reversed = unifiedDiff(`${lines.join('\n')}\n`, `${[...lines].reverse().join('\n')}\n`, { before: 'a', after: 'b' });
    assert.match(reversed, /^@@ -1,6000 \+1,6000 @@$/m);
    const fewMoved = [...lines.slice(100), ...lines.slice(0, 100)];
    const moved = unifiedDiff(`${lines.join('\n')}\n`, `${fewMoved.join('\n')}\n`, { before: 'a', after: 'b' });
    assert.equal((moved.match(/^-line/gm) ?? []).length, 100, 'a move of 100 lines is still diffed line by line');
  });
});
