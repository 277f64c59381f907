/**
 * A language server as a child process, driven over stdio the way an editor drives it: the
 * client side the LSP benchmarks share (lspBench, helmValuesBench). It answers the server's own
 * requests (workspace/configuration from `settings`, capability registration, progress, refresh),
 * ignores other notifications, and survives a server that exits while a message is on its way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { repoRoot } from '../fixtures/paths.js';

/** `promise`, or a rejection naming `what` after `ms`. */
export function withDeadline<T>(promise: Promise<T>, what: string, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

export interface LspProcessOptions {
  name: string;
  /** Node arguments: the server's script and `--stdio`. */
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Sent as workspace/didChangeConfiguration and answered to workspace/configuration. */
  settings: Record<string, unknown>;
  /** The client capabilities of `initialize`. */
  capabilities: Record<string, unknown>;
  /** How long initialize and shutdown may take. */
  deadlineMs: number;
  /** Handlers to add before the connection listens (e.g. for textDocument/publishDiagnostics). */
  setup?: (connection: MessageConnection) => void;
}

export interface LspProcess {
  process: ChildProcess;
  connection: MessageConnection;
  /** shutdown + exit, then kill: a server that does not shut down cleanly is killed anyway. */
  stop(): Promise<void>;
}

/** Starts the server and initializes it. */
export async function startLspProcess(opts: LspProcessOptions): Promise<LspProcess> {
  const child = spawn(process.execPath, opts.args, { stdio: ['pipe', 'pipe', 'pipe'], cwd: repoRoot, env: opts.env });
  child.stderr?.on('data', () => undefined);
  child.stdin?.on('error', () => undefined);
  child.stdout?.on('error', () => undefined);
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  opts.setup?.(connection);
  connection.onRequest('workspace/configuration', (params: { items: { section?: string }[] }) => params.items.map((item) => (item.section ? (opts.settings[item.section] ?? null) : null)));
  connection.onRequest('client/registerCapability', () => null);
  connection.onRequest('window/workDoneProgress/create', () => null);
  connection.onRequest('workspace/diagnostic/refresh', () => null);
  connection.onNotification(() => undefined);
  connection.onError(() => undefined);
  connection.listen();
  await withDeadline(
    connection.sendRequest('initialize', { processId: process.pid, rootUri: pathToFileURL(repoRoot).href, capabilities: opts.capabilities, initializationOptions: {} }),
    `${opts.name} initialize`,
    opts.deadlineMs,
  );
  connection.sendNotification('initialized', {});
  connection.sendNotification('workspace/didChangeConfiguration', { settings: opts.settings });
  return {
    process: child,
    connection,
    async stop() {
      try {
        await withDeadline(connection.sendRequest('shutdown'), `${opts.name} shutdown`, opts.deadlineMs);
        connection.sendNotification('exit');
      } catch {
        // killed below
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      connection.dispose();
      child.kill();
    },
  };
}
