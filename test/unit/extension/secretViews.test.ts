/**
 * Open Status as YAML and Show Drift with sensitive values of awkward shapes (quotes,
 * backslashes, newlines, 1 character, 200 characters, one failing its pattern, a Go-quoted API
 * error): masked structurally (plane/src/fleet/secretViews.ts) before any text is made, on the
 * desired side, on the live side (whatever value the cluster holds), and in a Secret's data.
 */
import { strict as assert } from 'node:assert';
import { parse } from 'yaml';
import { MASK, type ClusterProfileSpec } from '@kplane/profile';
import { driftDocuments, statusDocument } from '@kplane/plane';

const awkward = {
  quotes: 'pa"ss\'word"',
  backslashes: 'C:\\tmp\\new\\x41',
  newlines: 'line one\nline two\r\n\ttabbed',
  long: 'Z'.repeat(200),
  failing: 'q'.repeat(70) + '!',
};
const oneChar = 'Ω';

const spec = {
  version: '1.0.0',
  variables: [
    ...Object.keys(awkward).map((name) => ({ name, type: 'string', sensitive: true, ...(name === 'failing' ? { pattern: '^[a-p]+$' } : {}) })),
    { name: 'one', type: 'string', sensitive: true, default: oneChar },
    { name: 'color', type: 'string', default: 'blue' },
  ],
  values: awkward,
  layers: [
    {
      name: 'base',
      manifests: [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app' } },
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'settings', namespace: 'app' },
          data: { color: '${color}', one: '${one}', mixed: 'user=${quotes};path=${backslashes}', text: '${newlines}', long: '${long}', failing: '${failing}' },
        },
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds', namespace: 'app' }, stringData: { password: 'static-not-a-variable' } },
      ],
    },
  ],
} as unknown as ClusterProfileSpec;

/** Every raw or JSON-escaped form of every value, 3 characters or more (shorter ones are checked structurally). */
function leaks(text: string): string[] {
  const found: string[] = [];
  for (const v of [...Object.values(awkward), 'static-not-a-variable', 'old-secret-value']) {
    for (const form of [v, JSON.stringify(v).slice(1, -1), ...v.split(/[\n\r\t]/)]) if (form.length >= 3 && text.includes(form)) found.push(form);
  }
  return found;
}

describe('Open Status as YAML and Show Drift mask sensitive values', () => {
  it('Open Status: spec.values and sensitive defaults masked, other values and status kept, any shape accepted', () => {
    const profile = { apiVersion: 'kplane.dev/v1alpha1', kind: 'ClusterProfile', metadata: { name: 'p', managedFields: [{ manager: 'x' }] }, spec, status: { conditions: [{ type: 'Ready', status: 'True', message: `echoed ${awkward.long}` }] } };
    const text = statusDocument(profile);
    assert.deepEqual(leaks(text), []);
    const back = parse(text);
    for (const name of Object.keys(awkward)) assert.equal(back.spec.values[name], MASK, name);
    assert.equal(back.spec.variables.find((v: { name: string }) => v.name === 'one').default, MASK, 'a 1-character default');
    assert.equal(back.spec.variables.find((v: { name: string }) => v.name === 'color').default, 'blue');
    assert.equal(back.metadata.managedFields, undefined);
    assert.equal(back.spec.layers[0].manifests[2].stringData.password, MASK, 'a Secret written into the profile');
    assert.equal(back.status.conditions[0].message, `echoed ${MASK}`);
    for (const odd of [null, 'x', 42, [], { spec: 'x' }, { metadata: 'x', spec: { variables: 'x', values: [] } }]) assert.doesNotThrow(() => statusDocument(odd));
  });

  it('Show Drift: every field a sensitive variable reaches is masked on both sides; a changed one says so; plain fields stay', () => {
    const live = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', namespace: 'app', managedFields: [{}], resourceVersion: '9' },
      // What the cluster holds: an older secret in "one" (1 character) and "long", the rest as applied, color drifted.
      data: { color: 'red', one: 'x', mixed: `user=${awkward.quotes};path=${awkward.backslashes}`, text: awkward.newlines, long: 'old-secret-value', failing: awkward.failing },
    };
    const { desired, live: liveText } = driftDocuments(spec, { apiVersion: 'v1', kind: 'ConfigMap', name: 'settings', namespace: 'app' }, live, 'p');
    assert.deepEqual(leaks(desired + liveText), []);
    const d = parse(desired);
    const l = parse(liveText);
    for (const k of ['one', 'mixed', 'text', 'long', 'failing']) assert.equal(d.data[k], MASK, `desired ${k}`);
    assert.equal(d.data.color, 'blue');
    assert.equal(l.data.color, 'red');
    assert.equal(l.data.one, `${MASK} (changed)`, 'a changed 1-character value shows as changed, not as itself');
    assert.equal(l.data.long, `${MASK} (changed)`);
    assert.equal(l.data.text, MASK);
    assert.equal(l.metadata.managedFields, undefined);
  });

  it('Show Drift: every value of a Secret is masked, and an unreadable live object quoted by Go is masked too', () => {
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds', namespace: 'app' }, data: { password: Buffer.from('static-not-a-variable').toString('base64') } };
    const { desired, live } = driftDocuments(spec, { apiVersion: 'v1', kind: 'Secret', name: 'creds', namespace: 'app' }, secret, 'p');
    assert.deepEqual(leaks(desired + live), []);
    assert.equal(parse(desired).stringData.password, MASK);
    assert.equal(parse(live).data.password, MASK);
    const goQuoted = JSON.stringify(awkward.newlines).slice(1, -1); // Go's %q escapes \n, \r, \t as JSON does here
    const unreadable = driftDocuments(spec, { apiVersion: 'v1', kind: 'ConfigMap', name: 'settings', namespace: 'app' }, { unreadable: `ConfigMap "settings" is invalid: data.text: Invalid value: "${goQuoted}"` }, 'p');
    assert.deepEqual(leaks(unreadable.live), []);
    assert.match(unreadable.live, /^# ConfigMap "settings" is invalid: data\.text: Invalid value: "••••••"\n$/);
    const gone = driftDocuments(spec, { apiVersion: 'v1', kind: 'ConfigMap', name: 'gone', namespace: 'app' }, undefined, 'p');
    assert.equal(gone.desired, "# ConfigMap gone is not in p's current spec\n");
    assert.equal(gone.live, '# (deleted on the cluster)\n');
  });
});
