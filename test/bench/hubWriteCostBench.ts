/**
 * What clearing managedFields saves the hub (profile/src/hub.ts UNTRACKED_FIELDS), on one bed hub:
 * N members seeded twice over, set a as members were written before (managedFields kept) and set
 * b as `kplane hub join` and the agent write them now (cleared), then, in turns of 20 s (a b b a,
 * twice), Lease renewals and status merge patches as fast as 64 in flight go (5 renewals to 3
 * status writes, bench:hub's 167:100) on one set, and each set's ClusterAgents and Leases listed
 * (label selector, pages of 500, mean of 3). Printed: kube-apiserver CPU per accepted write, list
 * bytes and kube-apiserver CPU per list. Same hub, same minute: the machine's load is shared.
 *
 * node test/out/bench/hubWriteCostBench.js [members per set, default 1000]
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { startCluster } from '@kplane/bed';
import { KubeClient, kubeConfigConnection } from '@kplane/kube';
import { forContext, loadKubeconfig } from '@kplane/plane/cluster';
import { API_VERSION, UNTRACKED_FIELDS } from '@kplane/profile';

const N = Number(process.argv[2] ?? 1000);
const MERGE = 'application/merge-patch+json';
const log = (l: string) => console.log(`[bench:hub-write-cost ${(performance.now() / 1000).toFixed(1)}s load ${loadavg()[0].toFixed(1)}] ${l}`);
/** utime + stime of a process, in seconds. */
const cpu = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
const micro = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z');
const statusBody = (n: number) => ({ status: { heartbeatTime: new Date().toISOString(), agentVersion: `0.1.${n}`, kubernetesVersion: 'v1.36.3', nodes: { total: 3, ready: 3 }, conditions: [{ type: 'Ready', status: 'True', reason: 'Running', message: 'bench member', lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }], events: [], nextSeq: 0 } });
const nsOf = (set: string, i: number) => `kplane-member-${set}${String(i).padStart(5, '0')}`;

async function main(): Promise<void> {
  const hub = await startCluster({ name: 'hub-write-cost' });
  const pid = hub.pids()['kube-apiserver'];
  try {
    const { kubeConfig } = loadKubeconfig(hub.kubeconfigPath);
    const client = (label: string, maxSockets: number) => new KubeClient(kubeConfigConnection(forContext(kubeConfig, kubeConfig.getContexts()[0].name)), { context: label, maxSockets });
    const seeder = client('seed', 64);
    const items: [string, number][] = [];
    for (let i = 0; i < N; i++) for (const set of ['a', 'b']) items.push([set, i]);
    let next = 0;
    await Promise.all(Array.from({ length: 48 }, async () => {
      while (next < items.length) {
        const [set, i] = items[next++];
        const ns = nsOf(set, i);
        const agent = `/apis/${API_VERSION}/namespaces/${ns}/clusteragents/agent`;
        const lease = `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`;
        await seeder.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
        await seeder.request('POST', `/apis/${API_VERSION}/namespaces/${ns}/clusteragents`, { body: { apiVersion: API_VERSION, kind: 'ClusterAgent', metadata: { name: 'agent', namespace: ns, labels: { set, env: 'prod', shard: '0', 'kplane.dev/hub-member': ns } }, spec: { labels: { env: 'prod', shard: '0' }, heartbeatInterval: '1h' } } });
        if (set === 'b') await seeder.request('PATCH', agent, { body: { metadata: UNTRACKED_FIELDS }, contentType: MERGE });
        await seeder.request('PATCH', `${agent}/status`, { body: statusBody(0), contentType: MERGE });
        await seeder.request('POST', lease, { body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'agent-heartbeat', namespace: ns, labels: { set } }, spec: { holderIdentity: ns, leaseDurationSeconds: 180, renewTime: micro(Date.now()), acquireTime: micro(Date.now()) } } });
        if (set === 'b') await seeder.request('PATCH', `${lease}/agent-heartbeat`, { body: { metadata: UNTRACKED_FIELDS }, contentType: MERGE });
      }
    }));
    seeder.close();
    log(`seeded 2 x ${N} members: set a with managedFields, set b without`);
    const writer = client('writer', 16);
    const writes = async (set: string, seconds: number) => {
      const end = performance.now() + seconds * 1000;
      let n = 0;
      let accepted = 0;
      const c0 = cpu(pid);
      const t0 = performance.now();
      await Promise.all(Array.from({ length: 64 }, async () => {
        while (performance.now() < end) {
          const k = n++;
          const ns = nsOf(set, Math.floor(Math.random() * N));
          if (k % 8 < 5) await writer.request('PATCH', `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/agent-heartbeat`, { body: { spec: { renewTime: micro(Date.now()) } }, contentType: MERGE });
          else await writer.request('PATCH', `/apis/${API_VERSION}/namespaces/${ns}/clusteragents/agent/status`, { body: statusBody(k), contentType: MERGE });
          accepted++;
        }
      }));
      const wall = (performance.now() - t0) / 1000;
      const used = cpu(pid) - c0;
      log(`writes, set ${set}: ${accepted} in ${wall.toFixed(1)}s = ${(accepted / wall).toFixed(0)}/s; kube-apiserver ${used.toFixed(2)} CPU s = ${((used / accepted) * 1000).toFixed(2)} ms per write (${((used / wall) * 100).toFixed(0)}% of a core)`);
    };
    const lists = async (set: string) => {
      const result: Record<string, { MB: number; wallS: number; apiserverCpuS: number }> = {};
      for (const [kind, path] of [['agents', `/apis/${API_VERSION}/clusteragents`], ['leases', '/apis/coordination.k8s.io/v1/leases']]) {
        const c0 = cpu(pid);
        const t0 = performance.now();
        let bytes = 0;
        for (let k = 0; k < 3; k++) {
          let cont: string | undefined;
          do {
            const query = new URLSearchParams({ labelSelector: `set=${set}`, limit: '500', ...(cont ? { continue: cont } : {}) });
            const { text } = await writer.getDocument(`${path}?${query}`, { timeoutMs: 60_000, maxBytes: 1 << 30 });
            bytes += text.length;
            cont = (JSON.parse(text) as { metadata: { continue?: string } }).metadata.continue || undefined;
          } while (cont);
        }
        result[kind] = { MB: +(bytes / 3 / 1048576).toFixed(2), wallS: +((performance.now() - t0) / 3000).toFixed(2), apiserverCpuS: +((cpu(pid) - c0) / 3).toFixed(2) };
      }
      log(`lists, set ${set} (mean of 3): ${JSON.stringify(result)}`);
    };
    for (let round = 0; round < 2; round++) {
      await lists('a');
      await lists('b');
      await writes('a', 20);
      await writes('b', 20);
      await writes('b', 20);
      await writes('a', 20);
    }
    writer.close();
  } finally {
    await hub.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench:hub-write-cost failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);
