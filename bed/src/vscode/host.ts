/**
 * A real VS Code in the browser, for tests, the demo and screenshots: code-server (VS Code's
 * server with a Node extension host) from the cache that setupHost.ts fills, driven by Debian
 * Chromium through playwright-core. Facts behind the flags: ../shared/notes/vscode-test-host.md.
 *
 * API
 *   startCodeServer(options) → Promise<CodeServer>
 *     options.workspace                 folder the workbench opens (absolute path)
 *     options.env                       extra environment; the extension host inherits it
 *     options.port                      default: a free loopback port chosen by the OS
 *     options.extensionDevelopmentPath  load an extension from source (usually the repo root)
 *     options.extensionTestsPath        with the former: run this test bundle (exports run())
 *     options.installVsix               install this .vsix into the throwaway extensions dir first
 *     options.settings                  user settings merged over quiet defaults (no welcome page)
 *   CodeServer: { url, port, vscodeVersion, exited, output(), stop() }
 *     url     the page to open: the workspace, plus the development/test payload when asked
 *     exited  resolves when the server process ends (by itself or by stop())
 *     output  everything the server printed so far (for error reports)
 *     stop    kills the server's whole process group and removes its throwaway folders
 *   launchBrowser({ headless? }) → Promise<Browser>     headless Chromium with flags that work here
 *   openWorkbench(browser, url) → Promise<Page>         a 1400x900 page with the workbench rendered
 *   waitForWorkbench(page, timeoutMs?)                   resolves once the workbench has rendered
 *   screenshot(page, file) → Promise<string>            PNG of the page; creates the folder
 *
 * A demo or screenshot script, in short:
 *   const server = await startCodeServer({ workspace, extensionDevelopmentPath: repoRoot });
 *   const browser = await launchBrowser();
 *   const page = await openWorkbench(browser, server.url);
 *   await screenshot(page, 'docs/images/tree.png');
 *   await browser.close(); await server.stop();
 *
 * Throws HostMissingError when setupHost.ts has not run, CodeServerError when the server does
 * not come up; runHost.ts maps them to its exit codes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM_PATH, hostPaths, readyHost } from './hostPaths.js';

export class HostMissingError extends Error {}
export class CodeServerError extends Error {}

export interface CodeServerOptions {
  workspace?: string;
  env?: Record<string, string | undefined>;
  port?: number;
  extensionDevelopmentPath?: string;
  extensionTestsPath?: string;
  installVsix?: string;
  settings?: Record<string, unknown>;
  /** How long to wait for "HTTP server listening"; default 60 s (the first start on 2 busy cores is slow). */
  startTimeoutMs?: number;
}

export interface CodeServer {
  url: string;
  port: number;
  /** The VS Code release inside this code-server, e.g. "1.139.1". */
  vscodeVersion: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
  stop(): Promise<void>;
}

/** Settings that keep the workbench quiet and deterministic: no welcome page, tips, updates or trust prompts. */
const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  // No chat panel or AI prompts: there is no model here, and screenshots should show kplane.
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

/**
 * The server's environment: ours minus what would confuse it. npm_* variables (under `npm test`)
 * and VSCODE_* variables (when run from a VS Code terminal) would leak into the extension host.
 */
function serverEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(npm_|VSCODE_)/i.test(key)) env[key] = value;
  }
  // An empty gallery: no marketplace look-ups (there is no internet here, and they would only slow the start).
  env.EXTENSIONS_GALLERY = '{}';
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

function requireHost() {
  const paths = hostPaths();
  if (!readyHost(paths)) {
    throw new HostMissingError(`the VS Code host is not installed in ${paths.dir}: run \`node bed/out/vscode/setupHost.js\` (npm test does it on the first run).`);
  }
  return paths;
}

/** The workbench URL: `folder` opens the workspace; `payload` is how the web workbench takes --extensionDevelopmentPath/--extensionTestsPath. */
function workbenchUrl(port: number, options: CodeServerOptions): string {
  const origin = `http://127.0.0.1:${port}`;
  const params = new URLSearchParams();
  if (options.workspace) params.set('folder', options.workspace);
  if (options.extensionDevelopmentPath) {
    // The authority must be the page's own host:port, or the workbench looks for another remote.
    const remote = (path: string) => `vscode-remote://127.0.0.1:${port}${path.split('/').map(encodeURIComponent).join('/')}`;
    const payload = [['extensionDevelopmentPath', remote(options.extensionDevelopmentPath)], ['skipWelcome', 'true'], ['logLevel', 'info']];
    if (options.extensionTestsPath) payload.push(['extensionTestsPath', remote(options.extensionTestsPath)]);
    params.set('payload', JSON.stringify(payload));
  }
  const query = params.toString();
  return `${origin}/${query ? `?${query}` : ''}`;
}

/**
 * A tiny detached process that watches ours and kills the server's process group once we are
 * gone, and exits by itself when the group is gone. Needed because the server runs in its own
 * group (so stop() reaches the extension host) and therefore outlives a SIGKILLed parent.
 */
function spawnGuardian(group: number): void {
  const script = `
    const [parent, group] = process.argv.slice(1).map(Number);
    const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; } };
    setInterval(() => {
      if (!alive(-group)) process.exit(0);
      if (alive(parent)) return;
      try { process.kill(-group, 'SIGTERM'); } catch {}
      setTimeout(() => { try { process.kill(-group, 'SIGKILL'); } catch {} process.exit(0); }, 3000);
    }, 1000);`;
  spawn(process.execPath, ['-e', script, String(process.pid), String(group)], { detached: true, stdio: 'ignore' }).unref();
}

/** How much of the server's output output() keeps (the tail), in characters. */
const MAX_OUTPUT = 512 * 1024;

export async function startCodeServer(options: CodeServerOptions = {}): Promise<CodeServer> {
  const paths = requireHost();
  const scratch = mkdtempSync(join(tmpdir(), 'kplane-code-server-'));
  const userData = join(scratch, 'user-data');
  const extensions = join(scratch, 'extensions');
  const config = join(scratch, 'config.yaml');
  mkdirSync(join(userData, 'User'), { recursive: true });
  mkdirSync(extensions, { recursive: true });
  writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify({ ...QUIET_SETTINGS, ...options.settings }, null, 2));
  // An empty config of our own: code-server would otherwise read (and create) ~/.config/code-server/config.yaml.
  writeFileSync(config, 'auth: none\n');
  const env = serverEnv(options.env ?? {});
  const common = ['--user-data-dir', userData, '--extensions-dir', extensions, '--config', config];

  if (options.installVsix) {
    if (!existsSync(options.installVsix)) {
      rmSync(scratch, { recursive: true, force: true });
      throw new CodeServerError(`installVsix: ${options.installVsix} does not exist; package the extension first (a .vsix file).`);
    }
    const install = spawnSync(paths.nodeBin, [paths.codeServerEntry, ...common, '--install-extension', options.installVsix], { env, encoding: 'utf8' });
    if (install.status !== 0) {
      rmSync(scratch, { recursive: true, force: true });
      const why = (install.stderr || install.stdout || '').trim().split('\n')[0];
      throw new CodeServerError(`installing ${options.installVsix} into code-server failed (exit ${install.status}): ${why}`);
    }
  }

  const args = [
    paths.codeServerEntry,
    ...common,
    '--bind-addr', `127.0.0.1:${options.port ?? 0}`,
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    // Default is 3 h: an extension host whose browser went away would linger that long.
    '--reconnection-grace-time', '60',
    // Essential: without the smoke-test driver the built workbench ignores the test payload.
    '--vscode-option', 'enable-smoke-test-driver',
  ];
  // Its own process group, so stop() also ends the extension host and pty host it spawns.
  const child = spawn(paths.nodeBin, args, { env, cwd: scratch, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  // If our process exits without calling stop(), never leave a server behind: synchronously on a
  // normal exit, and through the guardian when we are killed outright (SIGKILL, OOM).
  const onExit = () => killGroup('SIGKILL');
  process.on('exit', onExit);
  if (child.pid) spawnGuardian(child.pid);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      process.off('exit', onExit);
      resolve({ code, signal });
    });
    child.on('error', (err) => {
      output += `\ncould not start ${paths.nodeBin}: ${err.message}\n`;
      process.off('exit', onExit);
      resolve({ code: null, signal: null });
    });
  });

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      killGroup('SIGTERM');
      const timer = setTimeout(() => killGroup('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      killGroup('SIGKILL'); // children that ignored SIGTERM
      rmSync(scratch, { recursive: true, force: true });
    })());

  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new CodeServerError(`code-server did not report "HTTP server listening" within ${startTimeoutMs / 1000}s`)), startTimeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.length > MAX_OUTPUT) output = output.slice(-MAX_OUTPUT / 2); // a long demo must not grow memory without bound
      const listening = /HTTP server listening on https?:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (listening) {
        clearTimeout(timer);
        resolve(Number(listening[1]));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new CodeServerError(`code-server exited (${code ?? signal}) before it was listening`));
    });
  }).catch(async (err: Error) => {
    await stop();
    throw new CodeServerError(`${err.message}. Its output:\n${output.trim()}`);
  });
  const vscodeVersion = (JSON.parse(readFileSync(join(dirname(paths.codeServerEntry), '..', '..', 'lib', 'vscode', 'package.json'), 'utf8')) as { version: string }).version;
  return { url: workbenchUrl(port, options), port, vscodeVersion, exited, output: () => output, stop };
}

/** Flags measured to work for Debian Chromium in containers: no sandbox (root), no GPU, no background traffic. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export async function launchBrowser(options: { headless?: boolean } = {}): Promise<Browser> {
  // Imported on use: setupHost.js and callers that only start the server do not need playwright.
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: options.headless ?? true, args: CHROMIUM_ARGS });
}

export async function openWorkbench(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 120_000 });
  await waitForWorkbench(page);
  return page;
}

/** Resolves once the workbench has rendered its parts (the activity bar exists). */
export async function waitForWorkbench(page: Page, timeoutMs = 60_000): Promise<void> {
  await page.waitForSelector('.monaco-workbench .part.activitybar', { timeout: timeoutMs });
}

export async function screenshot(page: Page, file: string): Promise<string> {
  mkdirSync(dirname(file), { recursive: true });
  await page.screenshot({ path: file });
  return file;
}
