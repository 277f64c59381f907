/**
 * `npm run demo -- --screenshots`: the Fleet tree, the dashboard matrix, a cluster page, the
 * values editor, an unreachable cluster and the local-scaling chart, from headless Chromium, saved into docs/screenshots/. The values editor's save
 * is checked on the cluster's API server, so a broken save path fails the run.
 */
import { join } from 'node:path';
import type { Frame, Locator, Page } from 'playwright-core';
import { launchBrowser, screenshot, waitForWorkbench } from '../vscode/host.js';
import type { DemoCluster } from './demo.js';

export interface ScreenshotInputs {
  url: string;
  outDir: string;
  demo: DemoCluster[];
  toggleLost(): Promise<void>;
  valuesOnCluster(): Promise<Record<string, unknown> | undefined>;
  say(message: string): void;
}

export async function takeScreenshots({ url, outDir, demo, toggleLost, valuesOnCluster, say }: ScreenshotInputs): Promise<void> {
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(url);
    await waitForWorkbench(page, 120_000);
    // The Fleet view: the kplane container in the activity bar.
    await page.locator('.activitybar [aria-label^="kplane"]').first().click();
    const tree = page.locator('.part.sidebar');
    for (const d of demo) await tree.getByText(d.displayName, { exact: false }).first().waitFor({ timeout: 120_000 });
    await widenSidebar(page, 560);
    // The plane has seen every cluster: now one goes down, and the tree must say so.
    await toggleLost();
    await tree.getByText('Unreachable', { exact: false }).first().waitFor({ timeout: 120_000 });
    // Open the drifted cluster down to its drifted resource: cluster → profile → layers/resources.
    const drifting = byFate(demo, 'drift');
    await expand(tree, drifting.displayName);
    await expand(tree, 'edge-baseline');
    await page.waitForTimeout(1500); // let icons and descriptions settle before the picture
    say(`saved ${await screenshot(page, join(outDir, 'fleet-tree.png'))}`);

    await runCommand(page, 'kplane: Open Dashboard');
    const frame = await dashboardFrame(page);
    await frame.locator('[data-cluster-row]').nth(demo.length - 1).waitFor({ timeout: 60_000 });
    say(`saved ${await screenshot(page, join(outDir, 'dashboard-matrix.png'))}`);

    await frame.locator(`[data-cluster-row="${drifting.cluster.name}"] a`).first().click();
    await frame.locator('[data-cluster-page]').waitFor({ timeout: 30_000 });
    say(`saved ${await screenshot(page, join(outDir, 'dashboard-cluster.png'))}`);

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
    say(`saved ${await screenshot(page, join(outDir, 'dashboard-values.png'))}`);

    // Then fix the values and save with Ctrl+S, as a user would: the plane writes them to the
    // cluster's API server.
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
    const lost = byFate(demo, 'unreachable');
    await frame.locator('nav.crumbs a').first().click();
    await frame.locator(`[data-cluster-row="${lost.cluster.name}"] a`).first().click();
    await frame.locator(`[data-cluster-page="${lost.cluster.name}"]`).waitFor({ timeout: 30_000 });
    say(`saved ${await screenshot(page, join(outDir, 'dashboard-unreachable.png'))}`);

    // The healthy cluster scales api/api on simulated load (examples/autoscale.profile.yaml,
    // policy api-cpu): its page charts replicas and CPU over time. Wait until the chart holds a
    // scale-up decision, so the picture shows the agent reacting.
    const scaling = byFate(demo, 'healthy');
    await frame.locator('nav.crumbs a').first().click();
    await frame.locator(`[data-cluster-row="${scaling.cluster.name}"] a`).first().click();
    await frame.locator(`[data-cluster-page="${scaling.cluster.name}"]`).waitFor({ timeout: 30_000 });
    const chart = frame.locator('[data-scaling-chart="api-cpu"]').first();
    await chart.locator('circle.point title', { hasText: 'ScaledUp' }).first().waitFor({ state: 'attached', timeout: 300_000 });
    await chart.scrollIntoViewIfNeeded();
    await page.waitForTimeout(500);
    say(`saved ${await screenshot(page, join(outDir, 'dashboard-scaling.png'))}`);
  } finally {
    await browser.close();
  }
}

export function byFate(demo: DemoCluster[], fate: DemoCluster['fate']): DemoCluster {
  const found = demo.find((d) => d.fate === fate);
  if (!found) throw new Error(`the demo has no cluster whose fate is ${fate}`);
  return found;
}

/** Drags the sash between the side bar and the editor, so tree descriptions are not cut off. */
async function widenSidebar(page: Page, width: number): Promise<void> {
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
async function expand(tree: Locator, text: string): Promise<void> {
  const row = tree.locator('.monaco-list-row', { hasText: text }).first();
  await row.waitFor({ timeout: 30_000 });
  if ((await row.getAttribute('aria-expanded')) === 'false') await row.click();
  await row.page().waitForTimeout(500);
}

async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  await page.locator('.quick-input-widget input').fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row').first().waitFor({ timeout: 30_000 });
  await page.keyboard.press('Enter');
}

/** The dashboard's document: webviews are two iframes deep, and the inner one holds #app. */
async function dashboardFrame(page: Page): Promise<Frame> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      if (await frame.locator('#app').count().catch(() => 0)) return frame;
    }
    await page.waitForTimeout(250);
  }
  throw new Error('the dashboard webview did not load within 60 s');
}
