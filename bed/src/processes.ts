/**
 * Child processes of the bed, and the guarantees that none outlives its owner:
 *
 *  - every component is spawned in its own process group and tracked here;
 *  - on Linux each is started through `setpriv --pdeathsig SIGKILL`, so the kernel kills it when
 *    the Node process that spawned it dies, even by SIGKILL (nothing in Node can catch that);
 *  - on process exit (normal, uncaught exception) every tracked group is SIGKILLed and the run
 *    dirs removed; on SIGINT/SIGTERM the same happens when nobody else handles the signal;
 *  - each run dir records its owner pid and component pids, and the next `startCluster` in any
 *    process reaps dirs whose owner is dead (killing only pids whose command line names that dir).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive } from './processAlive.js';

export interface Component {
  name: string;
  pid: number;
  logPath: string;
  child: ChildProcess;
  /** Resolves with the exit code (or the signal name) when the process is gone. */
  exited: Promise<number | string>;
  hasExited(): boolean;
}

const live = new Set<Component>();
const dirs = new Map<string, { keep: boolean }>();

/** Root of all run dirs: `$KPLANE_BED_DIR` or `$TMPDIR/kplane-bed`, outside the repository. */
export function runsRoot(): string {
  return process.env.KPLANE_BED_DIR ?? join(tmpdir(), 'kplane-bed');
}

const pdeathsig = process.platform === 'linux' && spawnSync('setpriv', ['--help'], { stdio: 'ignore' }).status === 0;

/** Starts `bin args` with stdout+stderr appended to `<dir>/logs/<name>.log`. */
export function spawnComponent(dir: string, name: string, bin: string, args: string[]): Component {
  installExitHooks();
  const logPath = join(dir, 'logs', `${name}.log`);
  const fd = openSync(logPath, 'a');
  const [cmd, argv] = pdeathsig ? ['setpriv', ['--pdeathsig', 'SIGKILL', '--', bin, ...args]] : [bin, args];
  let child: ChildProcess;
  try {
    child = spawn(cmd, argv, { stdio: ['ignore', fd, fd], detached: true });
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) {
    // The 'error' event (ENOENT, EACCES) follows; without a listener it would crash the process.
    child.on('error', () => undefined);
    throw new Error(`kplane bed: could not start ${name} (${bin}); is the file there and executable?`);
  }
  // A forgotten stop() must not keep the process alive; the 'exit' hook then kills the group.
  child.unref();
  let done = false;
  const exited = new Promise<number | string>((resolvePromise) => {
    child.on('exit', (code, signal) => {
      done = true;
      live.delete(component);
      recordPids(dir);
      resolvePromise(code ?? signal ?? 'unknown');
    });
    child.on('error', () => {
      done = true;
      live.delete(component);
      resolvePromise('spawn-error');
    });
  });
  const component: Component = { name, pid: child.pid, logPath, child, exited, hasExited: () => done };
  live.add(component);
  recordPids(dir);
  return component;
}

/** SIGTERM to the component's process group, SIGKILL after `graceMs`. */
export async function stopComponent(c: Component, graceMs = 5000): Promise<void> {
  if (c.hasExited()) return;
  // Keep the event loop alive until the exit is seen (children are unref'd while running).
  c.child.ref();
  signalGroup(c.pid, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), graceMs)));
  if ((await Promise.race([c.exited, timeout])) === 'timeout') {
    signalGroup(c.pid, 'SIGKILL');
    await c.exited;
  }
  clearTimeout(timer);
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/** Registers a run dir: its owner file is written now, and it is removed at exit unless kept. */
export function registerRunDir(dir: string, keep: boolean): void {
  installExitHooks();
  dirs.set(dir, { keep });
  writeFileSync(join(dir, 'owner.json'), JSON.stringify({ ownerPid: process.pid, startedAt: new Date().toISOString() }));
  if (keep) writeFileSync(join(dir, '.keep'), '');
  recordPids(dir);
}

export function forgetRunDir(dir: string): void {
  const entry = dirs.get(dir);
  dirs.delete(dir);
  if (entry && !entry.keep) rmSync(dir, { recursive: true, force: true });
}

function recordPids(dir: string): void {
  if (!dirs.has(dir)) return;
  const pids = [...live].filter((c) => c.logPath.startsWith(dir)).map((c) => c.pid);
  try {
    writeFileSync(join(dir, 'pids'), pids.join('\n'));
  } catch {
    // The dir is being removed.
  }
}

/** Kills everything this process started, synchronously (safe inside an 'exit' handler). */
export function killAllNow(): void {
  for (const c of live) signalGroup(c.pid, 'SIGKILL');
  live.clear();
  for (const [dir, { keep }] of dirs) if (!keep) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

let hooked = false;
function installExitHooks(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      // Someone else (mocha, `kplane dev up`) handles this signal and will stop clusters
      // gracefully; the 'exit' hook stays the backstop.
      if (process.listenerCount(signal) > 1) return;
      killAllNow();
      process.off(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

/**
 * Reaps run dirs left by processes that died without cleaning up (SIGKILL, OOM). Kills a
 * recorded pid only when its command line still names that dir, so a recycled pid is safe.
 * Returns the dirs reaped.
 */
export function reapStaleRuns(root = runsRoot()): string[] {
  if (!existsSync(root)) return [];
  const reaped: string[] = [];
  for (const entry of readdirSync(root)) {
    const dir = join(root, entry);
    let owner: { ownerPid?: number };
    try {
      owner = JSON.parse(readFileSync(join(dir, 'owner.json'), 'utf8')) as { ownerPid?: number };
    } catch {
      continue; // Being created right now, already reaped, or not ours.
    }
    if (typeof owner.ownerPid !== 'number' || alive(owner.ownerPid)) continue;
    let pids: number[] = [];
    try {
      pids = readFileSync(join(dir, 'pids'), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      // No components recorded.
    }
    for (const pid of pids) {
      try {
        if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) signalGroup(pid, 'SIGKILL');
      } catch {
        // Gone already, or no /proc: the pdeathsig took care of it.
      }
    }
    if (existsSync(join(dir, '.keep'))) rmSync(join(dir, 'owner.json'), { force: true });
    else rmSync(dir, { recursive: true, force: true });
    reaped.push(dir);
  }
  return reaped;
}

const reservedPorts = new Set<number>();

/**
 * A loopback port free right now. Ports handed out in this process are never handed out again,
 * so parallel startClusters here cannot collide; another process can still take one between
 * here and the component's bind, which the caller handles by retrying with fresh ports.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolvePromise, reject) => {
      const server = createServer();
      server.unref();
      server.on('error', reject);
      server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
        const address = server.address();
        const p = typeof address === 'object' && address ? address.port : 0;
        server.close(() => resolvePromise(p));
      });
    });
    if (!reservedPorts.has(port)) {
      reservedPorts.add(port);
      return port;
    }
  }
}

/** The last `lines` lines of a log file, for error messages. */
export function logTail(path: string, lines = 25): string {
  try {
    const text = readFileSync(path, 'utf8').trimEnd().split('\n');
    return text.slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
