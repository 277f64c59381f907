/**
 * `npm run bench:diff`: `kplane diff` of a 35k-line profile against a real kube-apiserver (test
 * bed), wall time and peak RSS of the CLI process, next to `kubectl diff --server-side` of the
 * same rendered objects in the same run. Build first (npm run build).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { repoRoot, startCluster } from '@kplane/bed';
import { KubeApi, loadKubeConfig } from '@kplane/kube';
import { withOwnership } from '@kplane/agent/core';

const OBJECTS = 60;
const KEYS = 193;

function timed(cmd: string, args: string[]): { seconds: number; maxRssMb: number; code: number | null; stdout: string } {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const [seconds, kb] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { seconds, maxRssMb: kb / 1024, code: r.status, stdout: r.stdout };
}

async function main(): Promise<void> {
  const cluster = await startCluster({ name: 'diff-bench' });
  const api = new KubeApi(loadKubeConfig({ kubeconfigPath: cluster.kubeconfigPath }));
  const dir = mkdtempSync(join(tmpdir(), 'kplane-diff-bench-'));
  try {
    const manifests = Array.from({ length: OBJECTS }, (_, i) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `cm-${i}`, namespace: 'default' },
      data: Object.fromEntries(Array.from({ length: KEYS }, (_, k) => [`key-${k}`, `line one ${i}/${k}\nline two\n`])),
    }));
    const profile = { apiVersion: 'kplane.dev/v1alpha1', kind: 'ClusterProfile', metadata: { name: 'big', namespace: 'kplane-system' }, spec: { version: '1.0.0', layers: [{ name: 'all', manifests }] } };
    const file = join(dir, 'big.profile.yaml');
    writeFileSync(file, stringify(profile, { lineWidth: 0 }));
    const lines = stringify(profile, { lineWidth: 0 }).split('\n').length;
    // Live: what the agent applied, then a few objects changed so there is something to show.
    const owner = { namespace: 'kplane-system', name: 'big' };
    for (const m of manifests) await api.apply(`/api/v1/namespaces/default/configmaps/${m.metadata.name}`, withOwnership(m as any, owner, 'all'), 'kplane-agent');
    for (const i of [3, 30, 57]) await api.request('PATCH', `/api/v1/namespaces/default/configmaps/cm-${i}`, { body: { data: { 'key-7': 'edited' } }, contentType: 'application/merge-patch+json' });
    const rendered = join(dir, 'rendered.yaml');
    writeFileSync(rendered, manifests.map((m) => stringify(withOwnership(m as any, owner, 'all'), { lineWidth: 0 })).join('---\n'));
    const kplane = timed(process.execPath, [join(repoRoot(), 'cli', 'bin', 'kplane.js'), 'diff', file, '--kubeconfig', cluster.kubeconfigPath, '--context', cluster.name, '--timeout', '60s']);
    const kubectl = timed('kubectl', ['--kubeconfig', cluster.kubeconfigPath, 'diff', '--server-side', '--field-manager', 'kplane-agent', '--force-conflicts', '-f', rendered]);
    console.log(`profile: ${lines} lines, ${OBJECTS} objects, 3 changed on the cluster`);
    console.log(`kplane diff:            ${kplane.seconds.toFixed(2)} s, peak RSS ${kplane.maxRssMb.toFixed(0)} MB, exit ${kplane.code}, ${kplane.stdout.split('\n').length} lines of output (target ≤ 5 s, ≤ 300 MB)`);
    console.log(`kubectl diff --server-side: ${kubectl.seconds.toFixed(2)} s, peak RSS ${kubectl.maxRssMb.toFixed(0)} MB, exit ${kubectl.code}`);
    console.log(`ratio kplane/kubectl: time ${(kplane.seconds / kubectl.seconds).toFixed(2)}×, RSS ${(kplane.maxRssMb / kubectl.maxRssMb).toFixed(2)}×`);
  } finally {
    api.close();
    await cluster.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
