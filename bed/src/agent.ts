/**
 * `startAgent`: the kplane agent as a real child process (`node agent/out/main.js …`) against a
 * test-bed cluster, for cluster tests, fault tests, the benchmark, the VS Code tests and the
 * demo. Its JSON log lines are kept so tests can wait on them; it is killed when the test
 * process exits, so a failed test never leaves an agent behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './binaries.js';

export interface StartAgentOptions {
  kubeconfigPath: string;
  context?: string;
  /** Namespace of the profiles (default kplane-system). */
  namespace?: string;
  env?: Record<string, string>;
  /** Extra agent flags, e.g. ['--leader-elect', '--id', 'a']. */
  args?: string[];
}

export interface RunningAgent {
  pid: number;
  /** SIGTERM (graceful shutdown), then SIGKILL after 10 s; resolves when the process is gone. */
  stop(): Promise<void>;
  /** SIGKILL, no shutdown at all (fault tests). */
  kill9(): void;
  /** Everything the agent printed so far (JSON lines on stdout, anything on stderr). */
  logs(): string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
  /** http://127.0.0.1:<port> of /healthz, /readyz and /metrics, once the agent serves them. */
  metricsUrl(timeoutMs?: number): Promise<string>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function startAgent(opts: StartAgentOptions): Promise<RunningAgent> {
  const main = join(repoRoot(), 'agent', 'out', 'main.js');
  if (!existsSync(main)) throw new Error(`startAgent: ${main} does not exist; build the agent first (npx tsc -b agent).`);
  const args = [main, '--kubeconfig', opts.kubeconfigPath, '--metrics-addr', '127.0.0.1:0'];
  if (opts.context) args.push('--context', opts.context);
  if (opts.namespace) args.push('--namespace', opts.namespace);
  args.push(...(opts.args ?? []));
  const child = spawn(process.execPath, args, { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve(code ?? signal ?? 'unknown');
      for (const l of listeners) l();
    });
  });
  if (child.pid === undefined) throw new Error('startAgent: the agent process did not start');

  const metricsUrl = (timeoutMs = 15_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const match = /"msg":"serving health and metrics".*?"addr":"([^"]+)"/.exec(output);
        if (match) {
          cleanup();
          resolve(`http://${match[1]}`);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          cleanup();
          reject(new Error(`startAgent: the agent exited before serving metrics:\n${output.slice(-2000)}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`startAgent: no metrics address within ${timeoutMs} ms:\n${output.slice(-2000)}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });

  return {
    pid: child.pid,
    exited,
    logs: () => output,
    kill9: () => {
      child.kill('SIGKILL');
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
    metricsUrl,
  };
}
