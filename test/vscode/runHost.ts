#!/usr/bin/env node
/**
 * Runs the extension's integration tests (test/vscode/suite, bundled to dist/test/suite.js) in a
 * real VS Code: code-server with the repository as the extension under development and a fresh
 * copy of test/fixtures/workspace as the workspace, its workbench opened in headless Chromium.
 * Builds nothing: `npm run build` (or `npm test`) made dist/ first.
 *
 * Exit codes, so CI says why:
 *   0 tests passed      1 tests failed      2 bad setting (KPLANE_VSCODE_TIMEOUT_MS)
 *   10 host missing (run setupHost.js)   11 code-server died or never started
 *   12 timeout (KPLANE_VSCODE_TIMEOUT_MS, default 10 min)   13 the browser failed
 *   14 not built (dist/extension.js or dist/test/suite.js missing)
 * On any failure a screenshot of the workbench is saved and its path printed.
 *
 * Environment: KPLANE_VSCODE_TIMEOUT_MS; KPLANE_VSCODE_GREP (only tests whose title matches,
 * read by suite/index.ts); KPLANE_VSCODE_VERBOSE=1 also prints the workbench's own log lines.
 * The extension host sees KPLANE_REPO_ROOT and KPLANE_TEST_WORKSPACE plus every KPLANE_* variable.
 */
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { format } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { repoRoot } from '../fixtures/paths.js';
import { CODE_SERVER_VERSION, type CodeServer, CodeServerError, HostMissingError, launchBrowser, screenshot, startCodeServer } from '@kplane/bed/vscode';
import { TEST_OUTPUT_MARK } from './testOutput.js';

const EXIT = { passed: 0, failed: 1, badSetting: 2, hostMissing: 10, serverDied: 11, timeout: 12, browserFailed: 13, notBuilt: 14 } as const;
type Outcome = { code: number; why: string };

const timeoutSetting = process.env.KPLANE_VSCODE_TIMEOUT_MS;
const timeoutMs = timeoutSetting ? Number(timeoutSetting) : 10 * 60_000;
const verbose = process.env.KPLANE_VSCODE_VERBOSE === '1';
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
const say = (message: string) => console.log(`[vscode-host ${elapsed()}] ${message}`);

/**
 * codeAutomationLog receives the workbench's log lines, the extension host's console among them
 * (console-style arguments). Lines that suite/index.ts marked are the tests' output; errors are
 * always worth showing; the rest is workbench chatter, shown only when verbose.
 */
function printLog(type: string, args: unknown[]): void {
  const text = format(...args);
  if (text.startsWith(TEST_OUTPUT_MARK)) {
    const line = text.slice(TEST_OUTPUT_MARK.length);
    (type === 'error' ? process.stderr : process.stdout).write(`${line}\n`);
  } else if (type === 'error' || verbose) {
    console.error(`[workbench ${type}] ${text}`);
  }
}

async function main(): Promise<number> {
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    console.error(`[vscode-host] KPLANE_VSCODE_TIMEOUT_MS=${timeoutSetting} is not a positive number of milliseconds; set e.g. KPLANE_VSCODE_TIMEOUT_MS=600000 or unset it for the default (10 min).`);
    return EXIT.badSetting;
  }
  const suite = join(repoRoot, 'dist', 'test', 'suite.js');
  for (const file of [join(repoRoot, 'dist', 'extension.js'), suite]) {
    if (!existsSync(file)) {
      console.error(`[vscode-host] ${file} is missing: build first with \`npm run build\` (npm test builds before running this).`);
      return EXIT.notBuilt;
    }
  }

  // A space in the name on purpose: paths with spaces must survive the workbench URL and payload.
  const workspace = mkdtempSync(join(tmpdir(), 'kplane vscode-workspace-'));
  cpSync(join(repoRoot, 'test', 'fixtures', 'workspace'), workspace, { recursive: true });
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  let finish: (outcome: Outcome) => void = () => {};
  const outcome = new Promise<Outcome>((resolve) => (finish = resolve));

  const cleanup = async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
    rmSync(workspace, { recursive: true, force: true });
  };
  // Ctrl-C or a CI cancel: still end Chromium and code-server (their own process groups).
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted = true;
    finish({ code: 128 + (signal === 'SIGINT' ? 2 : 15), why: `interrupted by ${signal}` });
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  const timer = setTimeout(() => finish({ code: EXIT.timeout, why: `the tests did not finish within ${timeoutMs / 1000}s (KPLANE_VSCODE_TIMEOUT_MS)` }), timeoutMs);

  const run = async () => {
    try {
      server = await startCodeServer({
        workspace,
        extensionDevelopmentPath: repoRoot,
        extensionTestsPath: suite,
        env: {
          ...Object.fromEntries(Object.entries(process.env).filter(([key]) => key.startsWith('KPLANE_'))),
          KPLANE_REPO_ROOT: repoRoot,
          KPLANE_TEST_WORKSPACE: workspace,
        },
      });
    } catch (err) {
      if (err instanceof HostMissingError) return finish({ code: EXIT.hostMissing, why: err.message });
      if (err instanceof CodeServerError) return finish({ code: EXIT.serverDied, why: err.message });
      throw err;
    }
    say(`code-server ${CODE_SERVER_VERSION} (VS Code ${server.vscodeVersion}) listening on 127.0.0.1:${server.port}`);
    void server.exited.then(({ code, signal }) => finish({ code: EXIT.serverDied, why: `code-server exited (${code ?? signal}) before the tests finished` }));

    try {
      browser = await launchBrowser();
      say(`headless Chromium ${browser.version()} started`);
      browser.on('disconnected', () => finish({ code: EXIT.browserFailed, why: 'Chromium disconnected before the tests finished' }));
      page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      page.on('crash', () => finish({ code: EXIT.browserFailed, why: 'the workbench page crashed' }));
      // Both must exist before the workbench loads: it looks them up once at start.
      await page.exposeFunction('codeAutomationExit', (code: number) => {
        say(`extension host finished the tests with exit code ${code}`);
        finish(code === 0 ? { code: EXIT.passed, why: 'tests passed' } : { code: EXIT.failed, why: `tests failed (extension host exit code ${code})` });
      });
      await page.exposeFunction('codeAutomationLog', printLog);
      if (verbose) page.on('console', (message) => console.log(`[workbench console] ${message.type()}: ${message.text()}`));
      say('opening the workbench in Chromium');
      await page.goto(server.url, { waitUntil: 'domcontentloaded', timeout: 120_000 });
    } catch (err) {
      finish({ code: EXIT.browserFailed, why: `Chromium could not open the workbench: ${err instanceof Error ? err.message : String(err)}` });
    }
  };
  run().catch((err: unknown) => finish({ code: EXIT.failed, why: `the runner failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}` }));

  const result = await outcome;
  clearTimeout(timer);
  if (result.code !== EXIT.passed) console.error(`[vscode-host] ${result.why}`);
  // After Ctrl-C the user wants out, not evidence (and playwright has already closed Chromium).
  if (result.code !== EXIT.passed && !interrupted) {
    if (page && !page.isClosed()) {
      const file = join(mkdtempSync(join(tmpdir(), 'kplane-vscode-failure-')), 'workbench.png');
      await screenshot(page, file).then(
        () => console.error(`[vscode-host] screenshot of the workbench: ${file}`),
        (err: Error) => console.error(`[vscode-host] no screenshot: ${err.message}`),
      );
    }
    if (server && result.code !== EXIT.failed) console.error(`[vscode-host] code-server output (last 40 lines):\n${server.output().trim().split('\n').slice(-40).join('\n')}`);
  }
  await cleanup();
  say(`${result.code === EXIT.passed ? 'tests passed; ' : ''}exit ${result.code}`);
  return result.code;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`[vscode-host] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(EXIT.failed);
  },
);
