/**
 * `npm run bench:diff`: `kplane diff` of 30-35k-line profiles against a real kube-apiserver (test
 * bed), wall time and peak RSS of the CLI process, next to `kubectl diff --server-side` of the
 * same rendered objects in the same run (the bed's kubectl, bed/build-k8s.sh), runs alternating,
 * median of RUNS each. Two profiles:
 *  - configmaps: 60 ConfigMaps of 193 keys;
 *  - real-shaped: test/bench/realShapedProfile.ts (big CRDs with deep schemas, Grafana-like
 *    dashboards, Deployments, Services, RBAC).
 * In each, 3 objects have a field the agent manages changed on the cluster.
 * Build first (npm run build).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ensureBinaries, repoRoot, startCluster } from '@kplane/bed';
import { Discovery, KubeClient, loadConnection, objectPath } from '@kplane/kube';
import { withOwnership } from '@kplane/agent/core';
import { LABEL_LAYER, renderProfile, type ClusterProfile, type Manifest } from '@kplane/profile';
import { realShapedProfile } from './realShapedProfile.js';

const RUNS = 3;
const OWNER = { namespace: 'kplane-system', name: 'big' };

interface Timed {
  seconds: number;
  maxRssMb: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

function timed(cmd: string, args: string[]): Timed {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const lines = r.stderr.trim().split('\n');
  const [seconds, kb] = lines.pop()!.split(' ').map(Number);
  return { seconds, maxRssMb: kb / 1024, code: r.status, stdout: r.stdout, stderr: lines.join('\n') };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

function configMapsProfile(): string {
  const manifests = Array.from({ length: 60 }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `cm-${i}`, namespace: 'default' },
    data: Object.fromEntries(Array.from({ length: 193 }, (_, k) => [`key-${k}`, `line one ${i}/${k}\nline two\n`])),
  }));
  return stringify({ apiVersion: 'kplane.dev/v1alpha1', kind: 'ClusterProfile', metadata: { name: 'big', namespace: 'kplane-system' }, spec: { version: '1.0.0', layers: [{ name: 'all', manifests }] } }, { lineWidth: 0 });
}

/**
 * The real-shaped profile without its deliberate mistakes (kplane diff refuses a file with errors),
 * at 30k lines: at 30k lines, the size its earlier runs used: at 35k its plain JSON was over the stored-size limit before kplane stored big layers compressed.
 */
function realShaped(): string {
  const text = realShapedProfile(30_000, 'bench:diff').replace('  name: real-shaped\n', '  name: big\n  namespace: kplane-system\n');
  return text.slice(0, text.indexOf('    - name: broken\n'));
}

async function runCase(name: string, text: string, kubeconfig: string, context: string, kubectl: string, dir: string): Promise<void> {
  const api = new KubeClient(loadConnection({ kubeconfigPath: kubeconfig }));
  const discovery = new Discovery({ request: <T>(method: 'GET', path: string) => api.request<T>(method, path) });
  try {
    const profile = parse(text) as ClusterProfile;
    const file = join(dir, `${name}.profile.yaml`);
    writeFileSync(file, text);
    // Live: what the agent applied (CRDs first, so their kinds are served), then a few objects changed.
    for (const ns of ['monitoring', 'stack']) await api.apply(`/api/v1/namespaces/${ns}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, 'bench');
    const rendered = renderProfile(profile.spec).layers.flatMap((l) => l.manifests.map((m) => withOwnership(m, OWNER, l.name)));
    const paths: string[] = [];
    for (const m of rendered) {
      const info = await discovery.resource(m.apiVersion, m.kind);
      if (!info) throw new Error(`bench:diff: the bed does not serve ${m.apiVersion} ${m.kind}`);
      const path = objectPath(info, { name: m.metadata.name, namespace: m.metadata.namespace });
      await api.apply(path, m, 'kplane-agent');
      paths.push(path);
    }
    const changed = [3, Math.floor(rendered.length / 2), rendered.length - 2].map((i) => paths[i]);
    for (const path of changed) {
      // A field the agent manages, edited by someone else: applying would put it back.
      await api.request('PATCH', path, { body: { metadata: { labels: { [LABEL_LAYER]: 'edited' } } }, contentType: 'application/merge-patch+json' });
    }
    const renderedFile = join(dir, `${name}.rendered.yaml`);
    writeFileSync(renderedFile, rendered.map((m: Manifest) => `---\n${stringify(m, { lineWidth: 0 })}`).join(''));

    const kplaneRuns: Timed[] = [];
    const kubectlRuns: Timed[] = [];
    for (let run = 0; run < RUNS; run++) {
      kplaneRuns.push(timed(process.execPath, [join(repoRoot(), 'cli', 'bin', 'kplane.js'), 'diff', file, '--kubeconfig', kubeconfig, '--context', context, '--timeout', '60s']));
      kubectlRuns.push(timed(kubectl, ['--kubeconfig', kubeconfig, 'diff', '--server-side', '--field-manager', 'kplane-agent', '--force-conflicts', '-f', renderedFile]));
    }
    const last = kplaneRuns[kplaneRuns.length - 1];
    if (last.code !== 1) throw new Error(`bench:diff: kplane diff exited ${last.code}, expected 1 (differences):\n${last.stderr}`);
    if (kubectlRuns[kubectlRuns.length - 1].code !== 1) throw new Error(`bench:diff: kubectl diff exited ${kubectlRuns[kubectlRuns.length - 1].code}:\n${kubectlRuns[kubectlRuns.length - 1].stderr}`);
    const summary = last.stdout.trim().split('\n').pop();
    const kp = { s: median(kplaneRuns.map((r) => r.seconds)), mb: median(kplaneRuns.map((r) => r.maxRssMb)) };
    const kc = { s: median(kubectlRuns.map((r) => r.seconds)), mb: median(kubectlRuns.map((r) => r.maxRssMb)) };
    console.log(`\n${name}: ${text.split('\n').length} lines, ${rendered.length} objects, 3 changed on the cluster (median of ${RUNS} alternating runs)`);
    console.log(`  kplane diff:                ${kp.s.toFixed(2)} s, peak RSS ${kp.mb.toFixed(0)} MB (target ≤ 5 s, ≤ 300 MB); ${summary}`);
    console.log(`  kubectl diff --server-side: ${kc.s.toFixed(2)} s, peak RSS ${kc.mb.toFixed(0)} MB`);
    console.log(`  ratio kplane/kubectl: time ${(kp.s / kc.s).toFixed(2)}×, RSS ${(kp.mb / kc.mb).toFixed(2)}×`);
  } finally {
    api.close();
  }
}

async function main(): Promise<void> {
  const { kubectl } = await ensureBinaries();
  const cluster = await startCluster({ name: 'diff-bench' });
  const dir = mkdtempSync(join(tmpdir(), 'kplane-diff-bench-'));
  try {
    await runCase('configmaps', configMapsProfile(), cluster.kubeconfigPath, cluster.name, kubectl, dir);
    await runCase('real-shaped', realShaped(), cluster.kubeconfigPath, cluster.name, kubectl, dir);
  } finally {
    await cluster.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
