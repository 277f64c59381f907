/** Profiles above 1.1 MiB plain, whose stored (compressed) size the editor judges in the background. */

/** base64-like characters gzip cannot shrink below what base64 adds back. */
export function noise(length: number, seed: number): string {
  let x = seed * 2654435761 + 1;
  let out = '';
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const c = 0x23 + ((x >>> 0) % 64);
    out += String.fromCharCode(c >= 0x5c ? c + 1 : c);
  }
  return out;
}

/** A profile of `count` ConfigMaps, each with `data(i)` (1.6 MB plain for 400 of 4000 characters). */
export function bigProfile(count: number, data: (i: number) => string) {
  return {
    apiVersion: 'kplane.dev/v1alpha1',
    kind: 'ClusterProfile',
    metadata: { name: 'stack' },
    spec: {
      version: '1.0.0',
      layers: [{ name: 'all', namespace: 'monitoring', manifests: Array.from({ length: count }, (_, i) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { 'd.txt': data(i) } })) }],
    },
  };
}
