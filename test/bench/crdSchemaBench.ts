/**
 * What the ClusterProfile CRD's schema costs the API server: four copies of the CRD under other
 * groups on one bed kube-apiserver, written to in turns (order reversed every round), with a
 * 0.9 MB and a 1.4 MB part of the real-shaped stack (./realStack.ts split by splitProfile):
 *   - asis: agent/deploy/crds as generated (spec.layers carries no x-kubernetes-list-type);
 *   - atomic: spec.layers and layers[].manifests marked x-kubernetes-list-type: atomic;
 *   - granular: spec.layers a list-type map keyed by name (server-side apply tracks each layer);
 *   - noschema: spec is only x-kubernetes-preserve-unknown-fields (no validation to speak of).
 * Per variant and size: create (server-side apply), status merge patch from KubeClient and from
 * `kubectl patch --subresource=status` (its -v=6 round trip), re-apply with one field changed,
 * the stored object's size and its managedFields; then the API server's own mean time per status
 * PATCH and per etcd update (its /metrics), to tell its work from etcd's.
 *
 *   npm run build && node test/out/bench/crdSchemaBench.js   (REPS=5 by default)
 */
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { applyYaml, ensureBinaries, repoRoot, startCluster, waitFor } from '@kplane/bed';
import { KubeClient, loadConnection } from '@kplane/kube';
import { splitProfile } from '@kplane/plane';
import type { ClusterProfile } from '@kplane/profile';
import { realStack } from './realStack.js';

const REPS = Number(process.env.REPS ?? 5);
const NS = 'kplane-system';
type Schema = Record<string, any>;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

const generated = parse(readFileSync(join(repoRoot(), 'agent', 'deploy', 'crds', 'clusterprofiles.kplane.dev.yaml'), 'utf8')) as Schema;

function variant(name: string, edit?: (spec: Schema) => void): Schema {
  const crd = structuredClone(generated);
  const group = `${name}.kplane.dev`;
  crd.metadata.name = `clusterprofiles.${group}`;
  crd.spec.group = group;
  crd.spec.names.shortNames = [];
  crd.spec.names.categories = [];
  edit?.(crd.spec.versions[0].schema.openAPIV3Schema.properties.spec);
  return crd;
}

const VARIANTS: Record<string, Schema> = {
  asis: variant('asis'),
  atomic: variant('atomic', (spec) => {
    spec.properties.layers['x-kubernetes-list-type'] = 'atomic';
    spec.properties.layers.items.properties.manifests['x-kubernetes-list-type'] = 'atomic';
  }),
  granular: variant('granular', (spec) => {
    spec.properties.layers['x-kubernetes-list-type'] = 'map';
    spec.properties.layers['x-kubernetes-list-map-keys'] = ['name'];
  }),
  noschema: variant('noschema', (spec) => {
    for (const key of Object.keys(spec)) delete spec[key];
    Object.assign(spec, { type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
  }),
  // The same free-form spec, written with each layer's manifests as one gzip + base64 string (as
  // Fleet's Bundle resources can be): what the API server's work is when the bulk is one string.
  encoded: variant('encoded', (spec) => {
    for (const key of Object.keys(spec)) delete spec[key];
    Object.assign(spec, { type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
  }),
};
const only = process.env.VARIANTS?.split(',');
if (only) for (const v of Object.keys(VARIANTS)) if (!only.includes(v)) delete VARIANTS[v];

/** Each layer's manifests as one gzip + base64 string. */
function encodeLayers(spec: Schema): void {
  for (const layer of spec.layers ?? []) {
    if (!Array.isArray(layer.manifests)) continue;
    layer.manifestsGzip = gzipSync(JSON.stringify(layer.manifests)).toString('base64');
    delete layer.manifests;
  }
}

async function main(): Promise<void> {
  const bins = await ensureBinaries();
  const cluster = await startCluster({ name: 'crd-schema-bench' });
  const api = new KubeClient(loadConnection({ kubeconfigPath: cluster.kubeconfigPath }));
  const startLoad = load();
  try {
    await applyYaml(cluster, Object.values(VARIANTS).map((c) => JSON.stringify(c)).join('\n---\n'));
    await waitFor(
      async () => {
        for (const crd of Object.values(VARIANTS)) {
          const got = await api.request<Schema>('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`);
          if (!got.status?.conditions?.some((c: Schema) => c.type === 'Established' && c.status === 'True')) return false;
        }
        // Served, too: the kinds appear in discovery a moment after Established.
        for (const crd of Object.values(VARIANTS)) await api.request('GET', `/apis/${crd.spec.group}/v1alpha1/namespaces/${NS}/clusterprofiles`);
        return true;
      },
      { what: 'bench CRDs served', timeoutMs: 60_000, intervalMs: 200 },
    );
    // Plain parts of 1.4 MB of structured manifests (by stored size the stack is one part).
    const split = splitProfile(realStack('stack', 'stack-ns', 'p'), { plain: true });
    if ('error' in split) throw new Error(`splitProfile: ${split.error}`);
    const big = [...split.profiles].sort((a, b) => JSON.stringify(b).length - JSON.stringify(a).length)[0];
    const small = structuredClone(big);
    for (const layer of small.spec.layers ?? []) while (JSON.stringify(small).length > 900_000 && (layer.manifests?.length ?? 0) > 1) layer.manifests!.pop();
    const sizes: Record<string, ClusterProfile> = { '0.9 MB': small, '1.4 MB': big };

    const results = new Map<string, number[]>();
    const record = (what: string, value: number) => results.set(what, [...(results.get(what) ?? []), value]);
    for (let rep = 0; rep < REPS; rep++) {
      const order = rep % 2 ? Object.keys(VARIANTS).reverse() : Object.keys(VARIANTS);
      for (const [size, profile] of Object.entries(sizes)) {
        for (const v of order) {
          const group = VARIANTS[v].spec.group as string;
          const name = `p${rep}-${size.replace(/\W/g, '').toLowerCase()}`;
          const path = `/apis/${group}/v1alpha1/namespaces/${NS}/clusterprofiles`;
          const object = { ...structuredClone(profile), apiVersion: `${group}/v1alpha1`, metadata: { name, namespace: NS } };
          delete object.spec.dependsOn;
          if (v === 'encoded') encodeLayers(object.spec as Schema);
          const apply = () => api.request('PATCH', `${path}/${name}`, { body: JSON.stringify(object), contentType: 'application/apply-patch+yaml', query: { fieldManager: 'kplane', force: true }, timeoutMs: 60_000 });
          let started = Date.now();
          await apply();
          record(`${v} ${size} create (server-side apply)`, Date.now() - started);
          for (let i = 0; i < 3; i++) {
            started = Date.now();
            await api.request('PATCH', `${path}/${name}/status`, { body: JSON.stringify({ status: { resources: { pruned: i + 1 } } }), contentType: 'application/merge-patch+json', query: { fieldManager: 'kplane-agent' }, timeoutMs: 60_000 });
            record(`${v} ${size} status patch, KubeClient`, Date.now() - started);
          }
          const r = spawnSync(bins.kubectl, ['--kubeconfig', cluster.kubeconfigPath, '-n', NS, 'patch', `clusterprofiles.${group}`, name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { resources: { pruned: 99 } } }), '-o', 'name', '-v=6'], { encoding: 'utf8', maxBuffer: 1 << 26 });
          if (r.status !== 0) throw new Error(`kubectl patch failed: ${r.stderr}`);
          const logged = /PATCH[^\n]*?(?:milliseconds=|in )(\d+)/.exec(r.stderr)?.[1];
          if (logged !== undefined) record(`${v} ${size} status patch, kubectl (-v=6)`, Number(logged));
          object.spec.version = '1.0.1';
          started = Date.now();
          await apply();
          record(`${v} ${size} re-apply, version changed`, Date.now() - started);
          const stored = await api.request<ClusterProfile>('GET', `${path}/${name}`, { timeoutMs: 60_000 });
          record(`${v} ${size} stored object, bytes`, JSON.stringify(stored).length);
          record(`${v} ${size} its managedFields, bytes`, JSON.stringify(stored.metadata.managedFields).length);
          await api.request('DELETE', `${path}/${name}`, { timeoutMs: 60_000 });
        }
      }
    }
    const metrics = String(await api.request('GET', '/metrics', { timeoutMs: 60_000 }));
    const sample = (re: RegExp) => Number(re.exec(metrics)?.[1] ?? NaN);
    console.log(`\nClusterProfile CRD variants on one kube-apiserver (test/bench/crdSchemaBench.ts), parts of the real-shaped stack of ${JSON.stringify(small).length} and ${JSON.stringify(big).length} bytes, median of ${REPS} rounds (status patch: 3 per round), load average ${startLoad} at start, ${load()} at end:`);
    for (const [what, values] of results) console.log(`  ${what.padEnd(52)} ${String(median(values)).padStart(8)}   (${values.join(', ')})`);
    console.log('API server /metrics, mean per request over both sizes:');
    for (const v of Object.keys(VARIANTS)) {
      const group = VARIANTS[v].spec.group as string;
      const label = `group="${group.replace(/\./g, '\\.')}"`;
      const patch = (part: string) => sample(new RegExp(`^apiserver_request_duration_seconds_${part}\\{[^}]*${label}[^}]*subresource="status",verb="PATCH"[^}]*\\} (\\S+)`, 'm'));
      const etcd = (part: string) => sample(new RegExp(`^etcd_request_duration_seconds_${part}\\{${label},operation="update"[^}]*\\} (\\S+)`, 'm'));
      console.log(`  ${v.padEnd(9)} status PATCH in the API server ${((patch('sum') / patch('count')) * 1000).toFixed(0)} ms, of which an etcd update ${((etcd('sum') / etcd('count')) * 1000).toFixed(0)} ms (all updates of the group)`);
    }
  } finally {
    api.close();
    await cluster.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
