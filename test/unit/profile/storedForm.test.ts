/**
 * kplane's stored form of big layers (profile/src/storedForm.ts): manifests as base64 of the gzip
 * of their JSON array. The round trip on real-shaped manifests, the threshold, and decoding as
 * hostile input: caps on what a layer and a profile decode to, bad base64, not gzip, not JSON,
 * not an array, items that are not objects; every error names the layer and the next step.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  COMPRESS_ABOVE_BYTES,
  LAYER_DECODED_LIMIT_BYTES,
  PROFILE_DECODED_LIMIT_BYTES,
  compressLayers,
  compressManifests,
  decodeBase64,
  decodeManifests,
  encodeBase64,
  expandLayers,
  storedSize,
  validateProfile,
  type ClusterProfile,
  type Manifest,
} from '@kplane/profile';
import { realStack } from '../../bench/realStack.js';

const profile = (layers: ClusterProfile['spec']['layers']): ClusterProfile => ({
  apiVersion: 'kplane.dev/v1alpha1',
  kind: 'ClusterProfile',
  metadata: { name: 'stack', namespace: 'kplane-system' },
  spec: { version: '1.0.0', layers },
});

const gz64 = (text: string | Buffer) => gzipSync(text).toString('base64');
const decodeError = (text: unknown) => {
  const r = decodeManifests(text, 'crds');
  assert.equal(r.ok, false, 'decoded');
  return (r as { error: string }).error;
};

describe('stored form of big layers', () => {
  it('round-trips the real-shaped stack, layer by layer, and Node reads what it writes', () => {
    const stack = realStack('stack', 'monitoring', 't');
    for (const layer of stack.spec.layers) {
      const text = compressManifests(layer.manifests!);
      assert.match(text, /^[A-Za-z0-9+/]+={0,2}$/);
      assert.deepEqual(JSON.parse(gunzipSync(Buffer.from(text, 'base64')).toString()), layer.manifests);
      const back = decodeManifests(text, layer.name);
      assert.ok(back.ok, JSON.stringify(back));
      assert.deepEqual(back.manifests, layer.manifests);
    }
    // Same input, same text: a re-apply changes nothing (gzip's mtime is 0).
    assert.equal(compressManifests(stack.spec.layers[0].manifests!), compressManifests(stack.spec.layers[0].manifests!));
  });

  it('base64 matches Node for every length, and refuses what is not strict base64', () => {
    for (let n = 0; n < 70; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 151 + n) & 255);
      const text = encodeBase64(bytes);
      assert.equal(text, Buffer.from(bytes).toString('base64'));
      assert.deepEqual(decodeBase64(text), bytes);
    }
    for (const bad of ['abc', 'ab=c', 'a b=', '====', 'ab\ncd==', 'YWJj*GVm', 'YQ==YQ==', 'é===']) assert.equal(typeof decodeBase64(bad), 'string', bad);
  });

  it('compresses above the threshold and leaves smaller profiles plain', () => {
    const configMaps = (count: number): Manifest[] =>
      Array.from({ length: count }, (_, i) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { text: `line ${i} `.repeat(100) } }));
    const small = profile([{ name: 'a', manifests: configMaps(100) }, { name: 'chart', helm: { repo: 'oci://r.example/c', chart: 'c', version: '1.0.0' } }]);
    assert.ok(storedSize(small as never) < COMPRESS_ABOVE_BYTES);
    assert.equal(compressLayers(small), small);
    const big = profile([{ name: 'a', manifests: configMaps(400) }, { name: 'b', namespace: 'x', manifests: configMaps(10) }, { name: 'chart', helm: { repo: 'oci://r.example/c', chart: 'c', version: '1.0.0' } }]);
    assert.ok(storedSize(big as never) > COMPRESS_ABOVE_BYTES);
    const stored = compressLayers(big);
    assert.deepEqual(stored.spec.layers.map((l) => Object.keys(l).sort().join(',')), ['compressedManifests,name', 'compressedManifests,name,namespace', 'helm,name']);
    assert.ok(storedSize(stored as never) < storedSize(big as never) / 10);
    const expanded = expandLayers(stored);
    assert.ok(expanded.ok && expanded.compressed);
    assert.deepEqual(expanded.profile, big);
    // A layer that would not get smaller (random data: base64 adds a third to what gzip saves) stays plain.
    const random = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'keys' }, data: { key: randomBytes(300_000).toString('base64') } };
    const mixed = compressLayers(profile([{ name: 'keys', manifests: [random as never] }, { name: 'a', manifests: configMaps(10) }]));
    assert.deepEqual(mixed.spec.layers.map((l) => Object.keys(l).sort().join(',')), ['manifests,name', 'compressedManifests,name']);
    // A plain profile comes back as the same object.
    const plain = expandLayers(big);
    assert.ok(plain.ok && !plain.compressed && plain.profile === big);
  });

  it('a gzip bomb stops at the cap of a layer, and layers together at the cap of a profile', () => {
    // 80 MiB of one character in a JSON string: about 80 KiB of gzip.
    const bomb = gz64(Buffer.concat([Buffer.from('[{"a":"'), Buffer.alloc(80 * 1024 * 1024, 0x61), Buffer.from('"}]')]));
    assert.ok(bomb.length < 400_000);
    const before = process.memoryUsage().arrayBuffers;
    const error = decodeError(bomb);
    assert.match(error, /^Layer "crds": compressedManifests decodes to more than 8 MiB, the most kplane decodes for one layer .*Re-apply the profile with kplane apply/);
    const grew = process.memoryUsage().arrayBuffers - before;
    // Half of the 80 MiB the bomb holds at most: decoding stopped at the cap (the decoder's buffers
    // and the step past the cap come on top: about 30 MB with the 8 MiB cap).
    assert.ok(grew < 5 * LAYER_DECODED_LIMIT_BYTES, `${grew} bytes of buffers`);
    // Three layers of 6 MiB each: every one under the layer's cap, together over the profile's.
    const six = gz64(JSON.stringify([{ a: 'b'.repeat(6 * 1024 * 1024) }]));
    const r = expandLayers(profile(['a', 'b', 'c'].map((name) => ({ name, compressedManifests: six }))));
    assert.ok(!r.ok);
    assert.equal(r.layer, 'c');
    assert.match(r.error, new RegExp(`^Layer "c": .*together decode to more than ${PROFILE_DECODED_LIMIT_BYTES / 1024 / 1024} MiB`));
  });

  it('names the layer, what is wrong and what to do for every bad text', () => {
    assert.match(decodeError('H4sI*not'), /^Layer "crds": compressedManifests is not base64 \(character "\*" at offset 4\)\. Re-apply the profile with kplane apply/);
    assert.match(decodeError(Buffer.from('[{"a":1}]').toString('base64')), /is not gzip data/);
    assert.match(decodeError(gz64('[{"a":1}]').slice(0, 24)), /is not valid gzip data/);
    assert.match(decodeError(gz64('[{"a":1}')), /does not hold JSON text/);
    assert.match(decodeError(gz64(Buffer.from([0x5b, 0xff, 0x5d]))), /does not hold JSON text/);
    assert.match(decodeError(gz64('{"kind":"ConfigMap"}')), /holds an object, not the array of manifests it must hold/);
    assert.match(decodeError(gz64('[{"kind":"ConfigMap"}, 3]')), /item 1 is a number, not a Kubernetes object/);
    assert.match(decodeError(gz64('[[]]')), /item 0 is an array/);
    assert.match(decodeError(42), /is not a string/);
    const r = expandLayers(profile([{ name: 'ok', manifests: [] }, { name: 'broken', compressedManifests: 'x' }]));
    assert.ok(!r.ok && r.layer === 'broken' && /^Layer "broken"/.test(r.error));
  });

  it('the editor accepts a compressed layer with an information finding, and refuses one with manifests too', () => {
    const findings = validateProfile(compressLayers(realStack('stack', 'monitoring', 't')));
    assert.deepEqual(findings.filter((f) => f.severity !== 'information'), []);
    assert.ok(findings.every((f) => f.code === 'LAYER_STORED_COMPRESSED'));
    assert.equal(findings.length, 3);
    const both = validateProfile(profile([{ name: 'a', manifests: [], compressedManifests: gz64('[]') }]));
    assert.deepEqual(
      both.map((f) => `${f.code} ${f.severity} ${f.path.join('/')}`),
      ['LAYER_COMPRESSED_AND_MANIFESTS error spec/layers/0/compressedManifests'],
    );
  });
});
