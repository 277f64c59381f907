/**
 * How large a ClusterProfile a real kube-apiserver + etcd stores: profiles of growing size are
 * applied by server-side apply (field manager kplane), as they are, until the API server refuses.
 * As they are: the plane stores profiles above 256 KiB compressed (@kplane/profile storedForm.ts),
 * and the limit measured is that of the stored bytes, so the data here is incompressible and sent
 * uncompressed (as kubectl apply --server-side sends it); the limit kplane checks (profile/src/validation/sizeCheck.ts) must lie below
 * that point with room for status, and not far below it. The measured numbers are printed.
 */
import assert from 'node:assert/strict';
import { PROFILE_SIZE_LIMIT_BYTES, PROFILE_STORE_LIMIT_BYTES, storedSize, validateProfile, type ClusterProfile } from '@kplane/profile';
import { KubeClient, readProfile } from '@kplane/plane/cluster';
import { desiredObject } from '@kplane/plane';
import { kubeClient, startCluster, type TestCluster } from '@kplane/bed';
import { kubeConfigConnection } from '@kplane/kube';

const NAMESPACE = 'kplane-system';
const BLOB = 8 * 1024;

/** A profile of ConfigMaps whose JSON (as storedSize counts it) is exactly `bytes` long. */
function profileOfSize(name: string, bytes: number): ClusterProfile {
  // Text gzip cannot shrink below what base64 adds back (6 random bits a character): the size
  // check, which judges a big profile compressed, sees about the same size as stored here.
  const text = (n: number, seed: number) => {
    let x = (seed + 1) * 2654435761;
    let out = '';
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out += ALPHABET[(x >>> 0) % 64];
    }
    return out;
  };
  const manifests = Array.from({ length: Math.max(1, Math.floor(bytes / (BLOB + 120))) }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `blob-${i}` },
    data: { blob: text(BLOB, i) },
  }));
  const profile: ClusterProfile = {
    apiVersion: 'kplane.dev/v1alpha1',
    kind: 'ClusterProfile',
    metadata: { name, namespace: NAMESPACE },
    spec: { version: '1.0.0', layers: [{ name: 'blobs', namespace: 'default', manifests }] },
  };
  const missing = bytes - storedSize(profile as unknown as Record<string, unknown>);
  // A new object, not a mutation: storedSize remembers each manifest object's size.
  const i = manifests.length - 1;
  manifests[i] = { ...manifests[i], data: { blob: text(Math.max(0, BLOB + missing), 7) } };
  assert.equal(storedSize(profile as unknown as Record<string, unknown>), bytes, 'test setup: profile of the wrong size');
  return profile;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Server-side apply of the profile as it is, uncompressed: the stored object is `bytes` long. */
function applyAsIs(client: KubeClient, profile: ClusterProfile): Promise<unknown> {
  return client.request('PATCH', `/apis/kplane.dev/v1alpha1/namespaces/${NAMESPACE}/clusterprofiles/${profile.metadata.name}`, {
    query: { fieldManager: 'kplane', force: true },
    body: JSON.stringify(desiredObject(profile)),
    contentType: 'application/apply-patch+yaml',
    timeoutMs: 60_000,
  });
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

describe('profile size: what a real API server stores', function () {
  let cluster: TestCluster;
  let client: KubeClient;
  let counter = 0;

  before(async function () {
    cluster = await startCluster({ name: 'size' });
    client = new KubeClient(kubeConfigConnection(kubeClient(cluster)), { context: 'size' });
  });
  after(async () => cluster?.stop());

  /** Applies a fresh profile of `bytes`; the API server's refusal, or undefined when stored. */
  async function refusal(bytes: number): Promise<string | undefined> {
    const profile = profileOfSize(`size-${counter++}`, bytes);
    try {
      await applyAsIs(client, profile);
      return undefined;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }

  it('refuses above etcd’s request limit; kplane’s limit lies below it, with room for status, and the finding says so', async function () {
    this.timeout(600_000);
    let low = 1024 * 1024;
    let high = 3 * 1024 * 1024;
    assert.equal(await refusal(low), undefined, `${kib(low)} refused`);
    let message = await refusal(high);
    assert.ok(message, `${kib(high)} stored: the API server stores more than kplane assumes; raise the limits in sizeCheck.ts`);
    while (high - low > 4 * 1024) {
      const mid = Math.round((low + high) / 2);
      const refused = await refusal(mid);
      if (refused) {
        high = mid;
        message = refused;
      } else low = mid;
    }
    const stored = await readProfile(client, NAMESPACE, `size-${counter - 1}`, 60_000);
    const managedFields = JSON.stringify(stored?.metadata.managedFields ?? []).length;
    console.log(`      largest profile stored: ${low} bytes (${kib(low)}); smallest refused: ${high} bytes; refusal: ${message}`);
    console.log(`      kplane: store limit ${PROFILE_STORE_LIMIT_BYTES} bytes, profile limit ${PROFILE_SIZE_LIMIT_BYTES} bytes; managedFields of a stored profile: ${managedFields} bytes`);

    assert.match(message!, /request is too large|Request entity too large|ResourceExhausted|too large/i);
    // sizeCheck.ts's store limit is the measured point (within the search's 4 KiB), never above it.
    assert.ok(PROFILE_STORE_LIMIT_BYTES <= low, `PROFILE_STORE_LIMIT_BYTES ${PROFILE_STORE_LIMIT_BYTES} is above what was stored (${low})`);
    assert.ok(PROFILE_STORE_LIMIT_BYTES >= low - 16 * 1024, `PROFILE_STORE_LIMIT_BYTES ${PROFILE_STORE_LIMIT_BYTES} is far below what was stored (${low})`);

    // At kplane's profile limit the agent's status still fits: the stored object grows by it.
    const atLimit = profileOfSize('at-limit', PROFILE_SIZE_LIMIT_BYTES);
    assert.deepEqual(validateProfile(atLimit).filter((f) => f.severity === 'error'), []);
    await applyAsIs(client, atLimit);
    const status = {
      observedGeneration: 1,
      conditions: ['Ready', 'SpecValid', 'Applied', 'InSync'].map((type) => ({ type, status: 'False', reason: 'Progressing', message: 'x'.repeat(1024), lastTransitionTime: '2026-01-01T00:00:00Z' })),
      drift: Array.from({ length: 50 }, (_, i) => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: `blob-${i}`, fields: Array.from({ length: 20 }, (_, f) => `.data.field-${f}`), detectedTime: '2026-01-01T00:00:00Z', message: 'y'.repeat(256) })),
    };
    await client.request('PATCH', `/apis/kplane.dev/v1alpha1/namespaces/${NAMESPACE}/clusterprofiles/at-limit/status`, {
      body: JSON.stringify({ status }),
      contentType: 'application/merge-patch+json',
      query: { fieldManager: 'kplane-agent' },
      timeoutMs: 60_000,
    });
    console.log(`      a status of ${JSON.stringify(status).length} bytes fits on a profile at kplane's limit`);

    // Server-side apply records spec.layers as one field (a CRD list without x-kubernetes-list-type
    // is atomic): managedFields stay a few hundred bytes whatever the manifests hold, so the limits
    // above need no room for them. A list-type map on layers (or manifests) would list every layer
    // here, and the stored object would grow with the profile's structure.
    const fields = ((await readProfile(client, NAMESPACE, 'at-limit', 60_000))?.metadata.managedFields ?? []) as { operation?: string; fieldsV1?: { 'f:spec'?: Record<string, unknown> } }[];
    const applied = fields.find((f) => f.operation === 'Apply')?.fieldsV1;
    assert.ok(applied?.['f:spec'], `no Apply entry with spec fields in managedFields: ${JSON.stringify(fields)}`);
    assert.deepEqual(applied['f:spec']['f:layers'], {}, `spec.layers is not one field in managedFields: ${JSON.stringify(applied['f:spec']['f:layers']).slice(0, 300)}`);
    const fieldsBytes = JSON.stringify(fields).length;
    assert.ok(fieldsBytes < 4096, `managedFields of a profile at kplane's limit take ${fieldsBytes} bytes`);
    console.log(`      managedFields of the profile at kplane's limit, after a status write: ${fieldsBytes} bytes`);

    // The first refused size gets the finding, naming the fix.
    const over = validateProfile(profileOfSize('over', high)).filter((f) => f.code === 'PROFILE_TOO_LARGE');
    assert.equal(over.length, 1);
    assert.match(over[0].message, /spec\.dependsOn.*kplane split.*helm layer/);
  });
});
