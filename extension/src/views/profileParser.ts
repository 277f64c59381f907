/**
 * Parses workspace files for the Profiles view in a worker thread (./profileScanWorker.ts), one
 * file at a time, so the extension host's main thread never runs the YAML parser: a
 * 300,000-document file once held it for 12 s. The worker has its own heap limit; a file that
 * runs past it or past the deadline costs that file only (it lists nothing and the worker is
 * started again for the next). The worker goes when idle. No `vscode`: unit-tested alone.
 */
import { Worker } from 'node:worker_threads';
import type { ProfileSummary } from './profileFiles.js';
import type { ScanReply } from './profileScanWorker.js';

export interface ProfileParserOptions {
  /** A file not parsed within this is given up (default 20 s). */
  timeoutMs?: number;
  /** The worker's old-generation heap (default 256 MiB). */
  maxHeapMb?: number;
  /** The worker stops after this long without work (default 30 s). */
  idleMs?: number;
  /** Told why a file was given up (a deadline, the heap limit, a crash). */
  onProblem?: (message: string) => void;
}

export interface ParserStats {
  parsed: number;
  failed: number;
  workersStarted: number;
}

export class ProfileParser {
  private worker: Worker | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private nextId = 1;
  private disposed = false;
  readonly stats: ParserStats = { parsed: 0, failed: 0, workersStarted: 0 };

  constructor(private readonly workerPath: string, private readonly options: ProfileParserOptions = {}) {}

  /** The file's profiles; never rejects (a failure lists nothing and is told to onProblem). */
  parse(bytes: Uint8Array, name = 'a file'): Promise<ProfileSummary[]> {
    const run = this.queue.then(() => this.parseOne(bytes, name));
    this.queue = run.catch(() => undefined);
    return run;
  }

  dispose(): void {
    this.disposed = true;
    this.stop();
  }

  private parseOne(bytes: Uint8Array, name: string): Promise<ProfileSummary[]> {
    if (this.disposed) return Promise.resolve([]);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const worker = this.start();
    const id = this.nextId++;
    const timeoutMs = this.options.timeoutMs ?? 20_000;
    return new Promise<ProfileSummary[]>((resolve) => {
      const done = (profiles: ProfileSummary[], problem?: string) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (problem) {
          this.stats.failed++;
          this.options.onProblem?.(`${name}: ${problem}; the Profiles view lists nothing from it.`);
        } else {
          this.stats.parsed++;
        }
        this.idleTimer = setTimeout(() => this.stop(), this.options.idleMs ?? 30_000);
        this.idleTimer.unref?.();
        resolve(profiles);
      };
      const onMessage = (reply: ScanReply) => {
        if (reply.id === id) done(Array.isArray(reply.profiles) ? reply.profiles : [], reply.error ? `not read (${reply.error})` : undefined);
      };
      const onError = (err: Error) => {
        this.forget(worker);
        done([], (err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY' ? `parsing it ran past the parser's ${this.options.maxHeapMb ?? 256} MiB heap` : `the parser failed (${err.message})`);
      };
      const onExit = (code: number) => {
        this.forget(worker);
        done([], `the parser stopped (exit code ${code})`);
      };
      const timer = setTimeout(() => {
        this.forget(worker);
        void worker.terminate();
        done([], `not parsed within ${timeoutMs} ms`);
      }, timeoutMs);
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      // A copy: the caller keeps its bytes (transferring would detach them).
      worker.postMessage({ id, bytes });
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const heap = this.options.maxHeapMb ?? 256;
    const worker = new Worker(this.workerPath, { resourceLimits: { maxOldGenerationSizeMb: heap, maxYoungGenerationSizeMb: Math.min(64, heap / 4) } });
    // Never what keeps a process alive (the unit tests' exit guard, a CLI embedding this).
    worker.unref();
    this.worker = worker;
    this.stats.workersStarted++;
    return worker;
  }

  private forget(worker: Worker): void {
    if (this.worker === worker) this.worker = undefined;
  }

  private stop(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const worker = this.worker;
    this.worker = undefined;
    void worker?.terminate();
  }
}
