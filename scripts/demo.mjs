#!/usr/bin/env node
/**
 * `npm run demo`: kplane on a local fleet, from a fresh clone, as the only command.
 *
 *   1. installs dependencies if they are missing, and builds (tsc -b + the esbuild bundles);
 *   2. starts 3 real clusters from the test bed (etcd + kube-apiserver + controller-manager +
 *      scheduler + KWOK nodes), each with a kplane agent and its own labels;
 *   3. applies the sample profiles of examples/ (as the plane does: server-side apply, manager
 *      `kplane`), makes one cluster drift and takes another one's API server down;
 *   4. starts code-server (a real VS Code in the browser) with the built extension and the
 *      fleet's kubeconfig, and prints the URL. Ctrl-C stops everything.
 *
 * `node scripts/demo.mjs --screenshots` does the same, then saves docs/screenshots/*.png with
 * headless Chromium and exits. `--skip-build` uses the build that is there.
 *
 * Only Node built-ins are imported up front: everything else is imported after the install.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const takeScreenshots = process.argv.includes('--screenshots');
/** For working on the demo itself: use the build that is there. */
const skipBuild = process.argv.includes('--skip-build');
const started = Date.now();
const say = (message) => console.log(`[demo ${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${message}`);

/** The demo's three clusters: how each one looks to the plane, and what happens to it. */
const CLUSTERS = [
  { displayName: 'eu-prod-1', labels: { env: 'prod', region: 'eu', tier: 'edge' }, profiles: ['edge-baseline', 'observability'], fate: 'healthy' },
  { displayName: 'us-prod-1', labels: { env: 'prod', region: 'us', tier: 'edge' }, profiles: ['edge-baseline', 'observability'], fate: 'drift' },
  { displayName: 'eu-staging-1', labels: { env: 'staging', region: 'eu', tier: 'lab' }, profiles: ['edge-baseline'], fate: 'unreachable' },
];

function run(command, args, what) {
  say(`${what}: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`${what} failed (exit ${result.status ?? result.signal}). Fix the error above and run the demo again.`);
}

const cleanups = [];
let cleaning;
async function cleanup() {
  cleaning ??= (async () => {
    for (const step of cleanups.reverse()) {
      try {
        await step.run();
      } catch (err) {
        console.error(`[demo] cleanup: ${step.what}: ${err instanceof Error ? err.message : err}`);
      }
    }
  })();
  return cleaning;
}
const onCleanup = (what, fn) => cleanups.push({ what, run: fn });

async function main() {
  // 1. Dependencies and build.
  if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) run('npm', ['install', '--no-audit', '--no-fund'], 'installing dependencies');
  if (!skipBuild) {
    run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b'], 'building');
    run(process.execPath, [join(root, 'scripts', 'bundle.mjs')], 'bundling the extension and the dashboard');
  }

  const hostPaths = await import(pathToFileURL(join(root, 'test', 'out', 'vscode', 'hostPaths.js')).href);
  if (!hostPaths.readyHost()) run(process.execPath, [join(root, 'test', 'out', 'vscode', 'setupHost.js')], 'installing code-server and Node 24 into the cache (once)');

  const bed = await import(pathToFileURL(join(root, 'test', 'out', 'bed', 'index.js')).href);
  const { startAgent } = await import(pathToFileURL(join(root, 'test', 'out', 'bed', 'agent.js')).href);
  const host = await import(pathToFileURL(join(root, 'test', 'out', 'vscode', 'host.js')).href);
  const k8s = await import('@kubernetes/client-node');
  const { parse } = await import('yaml');

  // 2. The fleet: 3 clusters that really run workloads, one agent each.
  const state = mkdtempSync(join(tmpdir(), 'kplane-demo-'));
  onCleanup('remove the demo folder', () => rmSync(state, { recursive: true, force: true }));
  say('starting 3 clusters (etcd, kube-apiserver, controller-manager, scheduler, KWOK nodes)…');
  const fleet = await bed.startFleet({ clusters: CLUSTERS.length, workloads: true, kubeconfigPath: join(state, 'kubeconfig'), log: (line) => say(`  ${line}`) });
  onCleanup('stop the clusters', () => fleet.stop());
  const demo = fleet.clusters.map((cluster, i) => ({ cluster, ...CLUSTERS[i] }));

  const objects = (cluster) => k8s.KubernetesObjectApi.makeApiClient(bed.kubeClient(cluster));
  const apply = (cluster, obj, manager) => objects(cluster).patch(obj, undefined, undefined, manager, true, k8s.PatchStrategy.ServerSideApply);
  const read = (cluster, apiVersion, kind, namespace, name) => objects(cluster).read({ apiVersion, kind, metadata: { namespace, name } });

  for (const d of demo) {
    // The ClusterAgent's spec is the cluster's identity for the plane; the agent fills its status.
    await apply(d.cluster, { apiVersion: 'kplane.dev/v1alpha1', kind: 'ClusterAgent', metadata: { name: 'agent', namespace: 'kplane-system' }, spec: { displayName: d.displayName, labels: d.labels, heartbeatInterval: '5s' } }, 'kplane');
    const agent = await startAgent({ kubeconfigPath: fleet.kubeconfigPath, context: d.cluster.name });
    onCleanup(`stop the agent of ${d.cluster.name}`, () => agent.stop());
    say(`${d.cluster.name} (${d.displayName}, ${Object.entries(d.labels).map(([k, v]) => `${k}=${v}`).join(',')}): agent pid ${agent.pid}`);
  }

  // 3. Profiles, as the plane writes them. The drifting cluster runs edge-baseline in monitor
  // mode, so the drift stays visible instead of being corrected within seconds.
  const profiles = Object.fromEntries(
    await Promise.all(['edge-baseline', 'observability'].map(async (name) => [name, parse(await readFile(join(root, 'examples', `${name}.profile.yaml`), 'utf8'))])),
  );
  for (const d of demo) {
    for (const name of d.profiles) {
      const profile = structuredClone(profiles[name]);
      if (d.fate === 'drift' && name === 'edge-baseline') profile.spec.reconcile = { ...profile.spec.reconcile, mode: 'monitor' };
      if (d.fate === 'healthy' && name === 'edge-baseline') profile.spec.values = { ...profile.spec.values, replicas: 3 };
      await apply(d.cluster, profile, 'kplane');
    }
  }
  const ready = async (d, name) => {
    const p = await read(d.cluster, 'kplane.dev/v1alpha1', 'ClusterProfile', 'kplane-system', name);
    return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && p.status.observedGeneration === p.metadata.generation;
  };
  for (const d of demo) {
    for (const name of d.profiles) await bed.waitFor(() => ready(d, name), { what: `${name} Ready on ${d.cluster.name}`, timeoutMs: 180_000, intervalMs: 1000 });
    say(`${d.cluster.name}: ${d.profiles.join(', ')} Ready`);
  }

  const drifting = demo.find((d) => d.fate === 'drift');
  say(`${drifting.cluster.name}: someone edits a managed ConfigMap by hand (drift)…`);
  await objects(drifting.cluster).patch(
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-settings', namespace: 'web' }, data: { logLevel: 'debug' } },
    undefined, undefined, 'demo-hand-edit', undefined, k8s.PatchStrategy.MergePatch,
  );
  await bed.waitFor(async () => {
    const p = await read(drifting.cluster, 'kplane.dev/v1alpha1', 'ClusterProfile', 'kplane-system', 'edge-baseline');
    return (p.status?.drift ?? []).length > 0;
  }, { what: `drift reported on ${drifting.cluster.name}`, timeoutMs: 120_000, intervalMs: 1000 });
  say(`${drifting.cluster.name}: the agent reports the drift`);

  // The unreachable cluster goes down only once the plane has seen it, so the plane can show its
  // last known state (a cluster never reached has none).
  const lost = demo.find((d) => d.fate === 'unreachable');
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

  // 4. VS Code in the browser, with the fleet's kubeconfig.
  const workspace = join(state, 'workspace');
  mkdirSync(workspace, { recursive: true });
  cpSync(join(root, 'examples'), workspace, { recursive: true });
  const contexts = demo.map((d) => d.cluster.name);
  const vsix = packageExtension(state);
  const server = await host.startCodeServer({
    workspace,
    // Installed from its .vsix like a user would; loaded from the checkout only if packaging failed.
    ...(vsix ? { installVsix: vsix } : { extensionDevelopmentPath: root }),
    env: { KUBECONFIG: fleet.kubeconfigPath },
    settings: { 'kplane.fleet.contexts': contexts, 'workbench.colorTheme': 'Default Dark Modern' },
    startTimeoutMs: 120_000,
  });
  onCleanup('stop code-server', () => server.stop());
  say('code-server is up');

  if (takeScreenshots) {
    const drifting = demo.find((d) => d.fate === 'drift');
    const valuesOnCluster = async () => (await read(drifting.cluster, 'kplane.dev/v1alpha1', 'ClusterProfile', 'kplane-system', 'edge-baseline')).spec.values;
    await screenshots(host, server.url, demo, toggleLost, valuesOnCluster);
    return;
  }
  console.log(`
  kplane demo is running.

    Open ${server.url}
    (the kplane icon in the activity bar shows the Fleet; "kplane: Open Dashboard" opens the dashboard)

    ${demo.map((d) => `${d.cluster.name}  ${d.displayName.padEnd(13)} ${d.fate}`).join('\n    ')}
    kubeconfig: ${fleet.kubeconfigPath}

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
  onCleanup('stop the timer', () => clearTimeout(timer));
  process.stdin.on('data', toggle);
  onCleanup('stop reading the terminal', () => process.stdin.pause());
  // Ctrl-C is handled below (any phase); here only code-server dying by itself ends the demo.
  await server.exited;
  if (!interrupted) console.error('[demo] code-server exited by itself; stopping the demo.');
}

/**
 * The built extension as a .vsix (what .vscodeignore allows: the bundles, the dashboard, the
 * agent's manifests, the walkthrough). Returns undefined, saying why, when vsce cannot package it.
 */
function packageExtension(dir) {
  const vsix = join(dir, 'kplane.vsix');
  const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
  const result = spawnSync(process.execPath, [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--no-rewrite-relative-links', '--out', vsix], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0 || !existsSync(vsix)) {
    const why = (result.stderr || result.stdout || result.error?.message || '').trim().split('\n').slice(-3).join(' ');
    say(`packaging the .vsix failed (${why}); loading the extension from the checkout instead`);
    return undefined;
  }
  say(`packaged ${vsix}`);
  return vsix;
}

/** Fleet tree, dashboard matrix, a cluster page and the values editor, from headless Chromium. */
async function screenshots(host, url, demo, toggleLost, valuesOnCluster) {
  const out = join(root, 'docs', 'screenshots');
  const browser = await host.launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(url);
    await host.waitForWorkbench(page, 120_000);
    // The Fleet view: the kplane container in the activity bar.
    await page.locator('.activitybar [aria-label^="kplane"]').first().click();
    const tree = page.locator('.part.sidebar');
    for (const d of demo) await tree.getByText(d.displayName, { exact: false }).first().waitFor({ timeout: 120_000 });
    await widenSidebar(page, 560);
    // The plane has seen every cluster: now one goes down, and the tree must say so.
    await toggleLost();
    await tree.getByText('Unreachable', { exact: false }).first().waitFor({ timeout: 120_000 });
    // Open the drifted cluster down to its drifted resource: cluster → profile → layers/resources.
    const drifting = demo.find((d) => d.fate === 'drift');
    await expand(tree, drifting.displayName);
    await expand(tree, 'edge-baseline');
    await page.waitForTimeout(1500); // let icons and descriptions settle before the picture
    say(`saved ${await host.screenshot(page, join(out, 'fleet-tree.png'))}`);

    await runCommand(page, 'kplane: Open Dashboard');
    const frame = await dashboardFrame(page);
    await frame.locator('[data-cluster-row]').nth(demo.length - 1).waitFor({ timeout: 60_000 });
    say(`saved ${await host.screenshot(page, join(out, 'dashboard-matrix.png'))}`);

    await frame.locator(`[data-cluster-row="${drifting.cluster.name}"] a`).first().click();
    await frame.locator('[data-cluster-page]').waitFor({ timeout: 30_000 });
    say(`saved ${await host.screenshot(page, join(out, 'dashboard-cluster.png'))}`);

    await frame.locator('[data-edit-values="kplane-system/edge-baseline"]').click();
    await frame.locator('#values-editor .monaco-editor').waitFor({ timeout: 60_000 });
    // Show the editor rejecting a value: replicas above the variable's maximum.
    await frame.locator('#values-editor .view-lines').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('replicas: 50\nlogLevel: verbose\n');
    await frame.locator('#values-findings li').first().waitFor({ timeout: 30_000 });
    // Hover the variable name: monaco-yaml (in its worker) answers from the values schema.
    await frame.locator('#values-editor .view-line span', { hasText: 'replicas' }).first().hover();
    await frame.locator('.monaco-hover', { hasText: 'How many web pods' }).first().waitFor({ timeout: 30_000 });
    await page.waitForTimeout(500);
    say(`saved ${await host.screenshot(page, join(out, 'dashboard-values.png'))}`);

    // Then fix the values and save with Ctrl+S, as a user would: the plane writes them to the
    // cluster's API server. Checked there, so a broken save path fails the run.
    await frame.locator('#values-editor .view-lines').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('replicas: 3\nlogLevel: warn\n');
    await frame.locator('#values-save:not([disabled])').waitFor({ timeout: 30_000 });
    await page.keyboard.press('Control+S');
    await frame.locator('#values-status', { hasText: 'Applied to' }).waitFor({ timeout: 30_000 });
    const written = await valuesOnCluster();
    if (written?.replicas !== 3 || written?.logLevel !== 'warn') throw new Error(`saving the values editor did not write them to the cluster: found ${JSON.stringify(written)}`);
    say(`the values editor's save wrote ${JSON.stringify(written)} to ${drifting.cluster.name}`);

    // The unreachable cluster's page: its last known state, and how old it is.
    const lost = demo.find((d) => d.fate === 'unreachable');
    await frame.locator('nav.crumbs a').first().click();
    await frame.locator(`[data-cluster-row="${lost.cluster.name}"] a`).first().click();
    await frame.locator(`[data-cluster-page="${lost.cluster.name}"]`).waitFor({ timeout: 30_000 });
    say(`saved ${await host.screenshot(page, join(out, 'dashboard-unreachable.png'))}`);
  } finally {
    await browser.close();
  }
}

/** Drags the sash between the side bar and the editor, so tree descriptions are not cut off. */
async function widenSidebar(page, width) {
  const sidebar = await page.locator('.part.sidebar').boundingBox();
  if (!sidebar) return;
  const x = sidebar.x + sidebar.width;
  const y = sidebar.y + sidebar.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(sidebar.x + width, y, { steps: 8 });
  await page.mouse.up();
}

/** Expands the first tree row whose label contains `text`, if it is collapsed. */
async function expand(tree, text) {
  const row = tree.locator('.monaco-list-row', { hasText: text }).first();
  await row.waitFor({ timeout: 30_000 });
  if ((await row.getAttribute('aria-expanded')) === 'false') await row.click();
  await row.page().waitForTimeout(500);
}

async function runCommand(page, title) {
  await page.keyboard.press('F1');
  await page.locator('.quick-input-widget input').fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row').first().waitFor({ timeout: 30_000 });
  await page.keyboard.press('Enter');
}

/** The dashboard's document: webviews are two iframes deep, and the inner one holds #app. */
async function dashboardFrame(page) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      if (await frame.locator('#app').count().catch(() => 0)) return frame;
    }
    await page.waitForTimeout(250);
  }
  throw new Error('the dashboard webview did not load within 60 s');
}

let interrupted = 0;
const interrupt = () => {
  if (++interrupted > 1) {
    console.error('[demo] second Ctrl-C: exiting without waiting for cleanup');
    process.exit(130);
  }
  say('Ctrl-C: stopping code-server, agents and clusters…');
  void cleanup().then(() => {
    say('stopped; nothing is left running.');
    process.exit(130);
  });
};
process.on('SIGINT', interrupt);
process.on('SIGTERM', interrupt);

main()
  .then(async () => {
    if (interrupted) return; // interrupt() is already cleaning up and will exit
    say('stopping…');
    await cleanup();
    say('stopped; nothing is left running.');
    process.exit(0);
  })
  .catch(async (err) => {
    console.error(`[demo] ${err instanceof Error ? err.message : err}`);
    await cleanup();
    process.exit(1);
  });
