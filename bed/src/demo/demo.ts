/**
 * `npm run demo`: kplane on a local fleet (scripts/demo.mjs installs and builds, then calls
 * runDemo):
 *   1. starts 3 real clusters from the bed (etcd + kube-apiserver + controller-manager +
 *      scheduler + KWOK nodes), each with a kplane agent and its own labels;
 *   2. applies the sample profiles of examples/ (as the plane does: server-side apply, manager
 *      `kplane`), makes one cluster drift and takes another one's API server down;
 *   3. meanwhile, hub mode (./demoHub.ts): a hub with three members joined with `kplane hub join`:
 *      an edge site, in no kubeconfig of the plane, whose agent dials out to the hub, and two of
 *      the fleet's clusters; a profile applied through the hub by label selector reaches the
 *      members it selects;
 *   4. starts code-server (a real VS Code in the browser) with the built extension, the fleet's
 *      kubeconfig plus the hub's context as kplane.fleet.hub, and prints the URL. Ctrl-C stops
 *      everything.
 * With `--screenshots` it saves docs/screenshots/*.png with headless Chromium and exits.
 */
import { execFile, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubernetesObjectApi, PatchStrategy, setHeaderOptions, type KubernetesObject } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { startAgent } from '../agent.js';
import { repoRoot } from '../binaries.js';
import { kubeClient, waitFor } from '../client.js';
import type { TestCluster } from '../cluster.js';
import { mergedKubeconfig, startFleet } from '../fleet.js';
import { ensureHelmTools, fixtureChart, packageChart, startOciRegistry } from '../charts.js';
import { startCodeServer } from '../vscode/host.js';
import { readyHost } from '../vscode/hostPaths.js';
import { byFate, takeScreenshots } from './screenshots.js';
import { DEMO_AGENT_ARGS, FLEET_MEMBERS, startDemoHub, type DemoHub } from './demoHub.js';
import type { HubJoinedMember } from '../hubSite.js';

/** The demo's three clusters: how each one looks to the plane, and what happens to it. */
const CLUSTERS = [
  { displayName: 'eu-prod-1', labels: { env: 'prod', region: 'eu', tier: 'edge' }, profiles: ['edge-baseline', 'observability', 'autoscale', 'web-chart'], fate: 'healthy' },
  { displayName: 'us-prod-1', labels: { env: 'prod', region: 'us', tier: 'edge' }, profiles: ['edge-baseline', 'observability'], fate: 'drift' },
  { displayName: 'eu-staging-1', labels: { env: 'staging', region: 'eu', tier: 'lab' }, profiles: ['edge-baseline'], fate: 'unreachable' },
] as const;

export interface DemoCluster {
  cluster: TestCluster;
  displayName: string;
  labels: Record<string, string>;
  profiles: readonly string[];
  fate: 'healthy' | 'drift' | 'unreachable';
}

interface ProfileDoc extends KubernetesObject {
  spec: { reconcile?: Record<string, unknown>; values?: Record<string, unknown>; [field: string]: unknown };
  status?: { observedGeneration?: number; conditions?: { type: string; status: string }[]; drift?: unknown[] };
}

type Say = (message: string) => void;

/** Steps to undo, last first; each runs even when an earlier one failed. */
class Cleanups {
  private readonly steps: { what: string; run: () => unknown }[] = [];
  private running?: Promise<void>;
  constructor(private readonly say: Say) {}
  add(what: string, run: () => unknown): void {
    this.steps.push({ what, run });
  }
  run(): Promise<void> {
    this.running ??= (async () => {
      for (const step of this.steps.reverse()) {
        try {
          await step.run();
        } catch (err) {
          this.say(`cleanup: ${step.what}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    })();
    return this.running;
  }
}

export async function runDemo(argv: string[]): Promise<number> {
  const root = repoRoot();
  const wantScreenshots = argv.includes('--screenshots');
  const started = Date.now();
  const say: Say = (message) => console.log(`[demo ${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${message}`);
  const cleanups = new Cleanups(say);
  let interrupted = 0;
  const interrupt = () => {
    if (++interrupted > 1) {
      console.error('[demo] second Ctrl-C: exiting without waiting for cleanup');
      process.exit(130);
    }
    say('Ctrl-C: stopping code-server, agents and clusters…');
    void cleanups.run().then(() => {
      say('stopped; nothing is left running.');
      process.exit(130);
    });
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);

  try {
    if (!readyHost()) {
      say('installing code-server and Node 24 into the cache (once)…');
      const setup = spawnSync(process.execPath, [join(root, 'bed', 'out', 'vscode', 'setupHost.js')], { stdio: 'inherit' });
      if (setup.status !== 0) throw new Error(`installing the VS Code host failed (exit ${setup.status ?? setup.signal}). Fix the error above and run the demo again.`);
    }

    // 1. The fleet: 3 clusters that really run workloads, one agent each.
    const state = mkdtempSync(join(tmpdir(), 'kplane-demo-'));
    cleanups.add('remove the demo folder', () => rmSync(state, { recursive: true, force: true }));
    // Hub mode runs its own course (hub, edge site, join, apply through the hub) while the
    // direct fleet starts, and joins two of the fleet's clusters once they are up; its clusters
    // are stopped with the rest even when something fails.
    say('hub mode: starting a hub and an edge site (in parallel with the fleet)…');
    let offerFleet!: (members: HubJoinedMember[]) => void;
    let withholdFleet!: (err: Error) => void;
    const fleetForHub = new Promise<HubJoinedMember[]>((resolve, reject) => ((offerFleet = resolve), (withholdFleet = reject)));
    const hubStarting: Promise<DemoHub> = startDemoHub({ dir: state, root, say: (line) => say(`  hub: ${line}`), fleet: fleetForHub });
    hubStarting.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
    // A failed start stops its own clusters; a started one is stopped here.
    cleanups.add('stop the hub and the edge site', async () => (await hubStarting.catch(() => undefined))?.site.stop());
    // Runs first: a hub part still waiting for the fleet gives up, so the step above does not wait forever.
    cleanups.add('release the hub part', () => withholdFleet(new Error('the demo stopped before its fleet was up')));
    say('starting 3 clusters (etcd, kube-apiserver, controller-manager, scheduler, KWOK nodes)…');
    // The healthy cluster also runs metrics-server over KWOK's simulated usage, for local autoscaling.
    const fleet = await startFleet({ clusters: CLUSTERS.length, workloads: true, metrics: [CLUSTERS.findIndex((c) => c.fate === 'healthy')], kubeconfigPath: join(state, 'kubeconfig'), log: (line: string) => say(`  ${line}`) });
    cleanups.add('stop the clusters', () => fleet.stop());
    const demo: DemoCluster[] = fleet.clusters.map((cluster, i) => ({ cluster, ...CLUSTERS[i], labels: { ...CLUSTERS[i].labels } }));
    // Joined while their agents start (an agent that starts after the join reads the Secret at once).
    offerFleet(FLEET_MEMBERS.map((m) => ({ ...m, cluster: demo.find((d) => d.displayName === m.name)!.cluster })));

    const objects = (cluster: TestCluster) => KubernetesObjectApi.makeApiClient(kubeClient(cluster));
    const apply = (cluster: TestCluster, obj: KubernetesObject, manager: string) => objects(cluster).patch(obj, undefined, undefined, manager, true, PatchStrategy.ServerSideApply);
    const readProfile = async (cluster: TestCluster, name: string) =>
      (await objects(cluster).read({ apiVersion: 'kplane.dev/v1alpha1', kind: 'ClusterProfile', metadata: { namespace: 'kplane-system', name } })) as ProfileDoc;

    // A chart registry on loopback (distribution's registry, TLS with its own CA) holding the
    // project's web chart, for eu-prod-1's Helm layer; the agents run the helm bed/build-helm.sh builds.
    say('starting a chart registry with the web chart (helm and the registry are built once, minutes the first time)…');
    const helmTools = await ensureHelmTools({ log: (line) => say(`  ${line}`) });
    const registry = await startOciRegistry({ name: 'demo-registry' });
    cleanups.add('stop the chart registry', () => registry.stop());
    await registry.push(await packageChart(fixtureChart('web'), join(state, 'charts'), '1.0.0'));

    for (const d of demo) {
      // The ClusterAgent's spec is the cluster's identity for the plane; the agent fills its status.
      const agentObject = { apiVersion: 'kplane.dev/v1alpha1', kind: 'ClusterAgent', metadata: { name: 'agent', namespace: 'kplane-system' }, spec: { displayName: d.displayName, labels: d.labels, heartbeatInterval: '5s' } };
      await apply(d.cluster, agentObject, 'kplane');
      const agent = await startAgent({ kubeconfigPath: fleet.kubeconfigPath, context: d.cluster.name, args: DEMO_AGENT_ARGS, env: { KPLANE_HELM: helmTools.helm } });
      cleanups.add(`stop the agent of ${d.cluster.name}`, () => agent.stop());
      say(`${d.cluster.name} (${d.displayName}, ${Object.entries(d.labels).map(([k, v]) => `${k}=${v}`).join(',')}): agent pid ${agent.pid}`);
    }

    // 2. Profiles, as the plane writes them. The drifting cluster runs edge-baseline in monitor
    // mode, so the drift stays visible instead of being corrected within seconds.
    const profiles: Record<string, ProfileDoc> = {};
    for (const name of ['edge-baseline', 'observability', 'autoscale']) profiles[name] = parse(await readFile(join(root, 'examples', `${name}.profile.yaml`), 'utf8')) as ProfileDoc;
    // A Helm layer: the web chart from the loopback registry, whose CA the agent reads from a Secret.
    profiles['web-chart'] = {
      apiVersion: 'kplane.dev/v1alpha1',
      kind: 'ClusterProfile',
      metadata: { name: 'web-chart', namespace: 'kplane-system' },
      spec: {
        version: '1.0.0',
        description: 'the web chart (1.0.0) from the demo registry',
        reconcile: { mode: 'enforce', interval: '1m', prune: true },
        variables: [{ name: 'greeting', type: 'string', default: 'hello from a chart' }],
        layers: [{ name: 'web', namespace: 'web-chart', wait: true, helm: { repo: registry.url, chart: 'web', version: '1.0.0', values: { greeting: '${greeting}' }, credentialsSecret: 'demo-registry-ca' } }],
      },
    } as ProfileDoc;
    for (const d of demo.filter((x) => x.profiles.includes('web-chart'))) {
      await apply(d.cluster, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'demo-registry-ca', namespace: 'kplane-system' }, stringData: { 'ca.crt': registry.caPem } } as KubernetesObject, 'kplane');
    }
    for (const d of demo) {
      for (const name of d.profiles) {
        const profile = structuredClone(profiles[name]);
        if (d.fate === 'drift' && name === 'edge-baseline') profile.spec.reconcile = { ...profile.spec.reconcile, mode: 'monitor' };
        if (d.fate === 'healthy' && name === 'edge-baseline') profile.spec.values = { ...profile.spec.values, replicas: 3 };
        await apply(d.cluster, profile, 'kplane');
      }
    }
    const ready = async (d: DemoCluster, name: string) => {
      const p = await readProfile(d.cluster, name);
      return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && p.status.observedGeneration === p.metadata?.generation;
    };
    for (const d of demo) {
      for (const name of d.profiles) await waitFor(() => ready(d, name), { what: `${name} Ready on ${d.cluster.name}`, timeoutMs: 180_000, intervalMs: 1000 });
      say(`${d.cluster.name}: ${d.profiles.join(', ')} Ready`);
    }

    // Simulated load on the healthy cluster's API tier: a total that moves every minute, spread
    // over its pods as a load balancer would; the agent scales it locally (dashboard: the chart).
    const scaling = byFate(demo, 'healthy');
    const core = kubeClient(scaling.cluster).makeApiClient(CoreV1Api);
    const LOAD = [200, 450, 450, 700, 300, 150];
    let loadTick = 0;
    const spreadLoad = async (): Promise<void> => {
      const total = LOAD[Math.floor(loadTick++ / 10) % LOAD.length];
      try {
        const pods = (await core.listNamespacedPod({ namespace: 'api', labelSelector: 'app=api' })).items.filter((p) => !p.metadata?.deletionTimestamp);
        const share = `${Math.round(total / Math.max(1, pods.length))}m`;
        for (const pod of pods) {
          if (pod.metadata?.annotations?.['kplane.dev/sim-cpu'] === share) continue;
          const body = { metadata: { annotations: { 'kplane.dev/sim-cpu': share } } };
          await core.patchNamespacedPod({ name: pod.metadata!.name!, namespace: 'api', body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)).catch(() => undefined);
        }
      } catch {
        // The next tick catches up.
      }
    };
    const loadTimer = setInterval(() => void spreadLoad(), 6_000);
    cleanups.add('stop the simulated load', () => clearInterval(loadTimer));
    say(`${scaling.cluster.name}: simulated CPU load on api/api moves ${LOAD.join(' → ')} millicores, a step a minute; the agent scales it on metrics.k8s.io`);

    const drifting = byFate(demo, 'drift');
    say(`${drifting.cluster.name}: someone edits a managed ConfigMap by hand (drift)…`);
    const handEdit = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-settings', namespace: 'web' }, data: { logLevel: 'debug' } };
    await objects(drifting.cluster).patch(handEdit, undefined, undefined, 'demo-hand-edit', undefined, PatchStrategy.MergePatch);
    await waitFor(async () => ((await readProfile(drifting.cluster, 'edge-baseline')).status?.drift ?? []).length > 0, { what: `drift reported on ${drifting.cluster.name}`, timeoutMs: 120_000, intervalMs: 1000 });
    say(`${drifting.cluster.name}: the agent reports the drift`);

    // The unreachable cluster goes down only once the plane has seen it, so the plane can show its
    // last known state (a cluster never reached has none).
    const lost = byFate(demo, 'unreachable');
    let down = false;
    const toggleLost = async () => {
      if (!down) {
        say(`${lost.cluster.name} (${lost.displayName}): stopping its API server; etcd and the agent keep running…`);
        await lost.cluster.stopApiServer();
        down = true;
        say(`${lost.cluster.name}: API server down; the plane shows it Unreachable with its last known state`);
      } else {
        say(`${lost.cluster.name}: starting its API server again…`);
        await lost.cluster.startApiServer();
        down = false;
        say(`${lost.cluster.name}: API server back; the plane recovers by itself and catches up on missed events`);
      }
    };

    // Packaged while the hub part finishes (both wait on child processes).
    const packaging = packageExtension(root, state, say);

    // 3. Hub mode: the plane gets the hub's context, never the edge site's.
    const hubDemo = await hubStarting;
    const hubName = hubDemo.site.hub.name;
    await writeFile(fleet.kubeconfigPath, mergedKubeconfig([...fleet.clusters, hubDemo.site.hub]), { mode: 0o600 });
    say(`hub mode: ${[...hubDemo.site.edges, ...hubDemo.site.joined].map((e) => e.name).join(', ')} joined ${hubName}; the profile applied through the hub is Ready where its selector points. kplane status --hub ${hubName}:`);
    console.log(hubDemo.statusOutput.replace(/^/gm, '    '));

    // 4. VS Code in the browser, with the fleet's kubeconfig and the hub.
    const workspace = join(state, 'workspace');
    mkdirSync(workspace, { recursive: true });
    cpSync(join(root, 'examples'), workspace, { recursive: true });
    const vsix = await packaging;
    const server = await startCodeServer({
      workspace,
      // Installed from its .vsix like a user would; loaded from the checkout only if packaging failed.
      ...(vsix ? { installVsix: vsix } : { extensionDevelopmentPath: root }),
      env: { KUBECONFIG: fleet.kubeconfigPath },
      settings: { 'kplane.fleet.contexts': demo.map((d) => d.cluster.name), 'kplane.fleet.hub': hubName, 'workbench.colorTheme': 'Default Dark Modern' },
      startTimeoutMs: 120_000,
    });
    cleanups.add('stop code-server', () => server.stop());
    say('code-server is up');

    if (wantScreenshots) {
      await takeScreenshots({
        url: server.url,
        outDir: join(root, 'docs', 'screenshots'),
        demo,
        toggleLost,
        valuesOnCluster: async () => (await readProfile(drifting.cluster, 'edge-baseline')).spec.values,
        say,
      });
    } else {
      console.log(`
  kplane demo is running.

    Open ${server.url}
    (the kplane icon in the activity bar shows the Fleet; "kplane: Open Dashboard" opens the dashboard)

    ${demo.map((d) => `${d.cluster.name}  ${d.displayName.padEnd(13)} ${d.fate}`).join('\n    ')}
    ${hubDemo.site.edges.map((e) => `hub:${hubName}/${e.name}  edge site behind hub ${hubName}: in no kubeconfig of the plane; its agent dials out to the hub`).join('\n    ')}
    ${hubDemo.site.joined.map((m) => `hub:${hubName}/${m.name}  ${m.cluster.name} again, as a member of hub ${hubName}`).join('\n    ')}
    kubeconfig: ${fleet.kubeconfigPath}  (hub mode: kplane status --hub ${hubName} --kubeconfig ${fleet.kubeconfigPath})

  ${lost.displayName}'s API server stops in 60 s, so open the page first to see it go Unreachable
  with its last known state. Press Enter to stop it now; Enter again starts it (recovery).

  Press Ctrl-C to stop everything.
`);
      let busy = false;
      const toggle = () => {
        if (busy || interrupted) return;
        busy = true;
        toggleLost()
          .catch((err) => console.error(`[demo] ${err instanceof Error ? err.message : err}`))
          .finally(() => (busy = false));
      };
      const timer = setTimeout(() => {
        if (!down) toggle();
      }, 60_000);
      cleanups.add('stop the timer', () => clearTimeout(timer));
      process.stdin.on('data', toggle);
      cleanups.add('stop reading the terminal', () => process.stdin.pause());
      // Ctrl-C is handled by interrupt(); here only code-server dying by itself ends the demo.
      await server.exited;
      if (!interrupted) console.error('[demo] code-server exited by itself; stopping the demo.');
    }
    if (interrupted) return new Promise<number>(() => {}); // interrupt() cleans up and exits
    say('stopping…');
    await cleanups.run();
    say('stopped; nothing is left running.');
    return 0;
  } catch (err) {
    console.error(`[demo] ${err instanceof Error ? err.message : String(err)}`);
    await cleanups.run();
    return 1;
  }
}

/**
 * The built extension as a .vsix (what .vscodeignore allows: the bundles, the dashboard, the
 * agent's manifests, the walkthrough). Returns undefined, saying why, when vsce cannot package it.
 */
async function packageExtension(root: string, dir: string, say: Say): Promise<string | undefined> {
  const vsix = join(dir, 'kplane.vsix');
  const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
  // Not spawnSync: the hub part's steps run on this event loop meanwhile.
  const result = await new Promise<{ failed: boolean; stdout: string; stderr: string; error?: Error }>((resolve) =>
    execFile(process.execPath, [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--no-rewrite-relative-links', '--out', vsix], { cwd: root, encoding: 'utf8', maxBuffer: 16 << 20 }, (error, stdout, stderr) =>
      resolve({ failed: !!error, stdout, stderr, ...(error ? { error } : {}) }),
    ),
  );
  if (result.failed || !existsSync(vsix)) {
    const why = (result.stderr || result.stdout || result.error?.message || '').trim().split('\n').slice(-3).join(' ');
    say(`packaging the .vsix failed (${why}); loading the extension from the checkout instead`);
    return undefined;
  }
  say(`packaged ${vsix}`);
  return vsix;
}
