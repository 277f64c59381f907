/**
 * A de-duplicating work queue with per-key exponential backoff, after client-go's: a key is
 * queued at most once; a key added while it is being processed is processed again afterwards
 * (never twice at the same time); failures retry after 100 ms, 200 ms, … up to 30 s.
 */
export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  /** Pending delayed adds: each key's timer and when (performance.now()) it fires. */
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; at: number }>();
  private waiters: (() => void)[] = [];
  private shuttingDown = false;

  constructor(
    private readonly baseDelayMs = 100,
    private readonly maxDelayMs = 30_000,
  ) {}

  get depth(): number {
    return this.queue.length;
  }

  add(key: string): void {
    if (this.shuttingDown) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.waiters.shift()?.();
  }

  /** Adds the key after `ms`; an earlier pending delay for the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = performance.now() + ms;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) return;
    // A sooner request replaces a later one: a run that waits for health asks again in 2 s, and
    // must not be held to the resync delay an earlier run of the same profile asked for.
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    this.timers.set(key, { timer, at });
  }

  /** Re-adds a key that failed, after its exponential backoff. Returns the delay used. */
  addRateLimited(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const ms = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** n);
    // A backoff replaces a longer pending resync delay.
    const pending = this.timers.get(key);
    if (pending) {
      clearTimeout(pending.timer);
      this.timers.delete(key);
    }
    this.addAfter(key, ms);
    return ms;
  }

  /** The key succeeded: its backoff starts over. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** The next key, or undefined once shut down. */
  async get(): Promise<string | undefined> {
    while (!this.queue.length) {
      if (this.shuttingDown) return undefined;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    const key = this.queue.shift()!;
    this.queued.delete(key);
    this.processing.add(key);
    return key;
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  shutdown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const wake of this.waiters.splice(0)) wake();
  }
}
