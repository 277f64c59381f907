/**
 * Collections bounded by the bytes they hold, not by how many entries: at 1,000 clusters one
 * dashboard snapshot is about 2 MB, so "the last 200 messages" held 392 MB, and a drift document
 * of a large profile is megabytes where another is a few lines. No `vscode`: unit-tested alone.
 */

/** UTF-8 bytes of a string: what it costs to keep, within a factor of two of V8's own layout. */
export function textBytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * First in, first out, evicting the oldest entries while the total passes `maxBytes`. The newest
 * entry is always kept, even alone over the budget: it is also what the caller just used, and a
 * wait for it must still find it.
 */
export class ByteBoundedList<T> {
  private entries: { value: T; bytes: number }[] = [];
  private head = 0;
  private total = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly size: (value: T) => number,
  ) {}

  push(value: T): void {
    const bytes = this.size(value);
    this.entries.push({ value, bytes });
    this.total += bytes;
    while (this.total > this.maxBytes && this.entries.length - this.head > 1) this.total -= this.entries[this.head++].bytes;
    // Drop the evicted slots now and then, not on every push: shift() is linear.
    if (this.head > 64 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  find(match: (value: T) => boolean): T | undefined {
    for (let i = this.head; i < this.entries.length; i++) if (match(this.entries[i].value)) return this.entries[i].value;
    return undefined;
  }

  /** The newest `n` entries, oldest first. */
  last(n: number): T[] {
    return this.entries.slice(Math.max(this.head, this.entries.length - n)).map((e) => e.value);
  }

  get length(): number {
    return this.entries.length - this.head;
  }

  get bytes(): number {
    return this.total;
  }
}

/**
 * Texts by key, evicting the least recently set while the total passes `maxBytes`; the text just
 * set is always kept.
 */
export class ByteBoundedTexts {
  private readonly texts = new Map<string, string>();
  private total = 0;

  constructor(private readonly maxBytes: number) {}

  set(key: string, text: string): void {
    this.delete(key);
    this.texts.set(key, text);
    this.total += textBytes(text);
    for (const [oldest, old] of this.texts) {
      if (this.total <= this.maxBytes || oldest === key) break;
      this.texts.delete(oldest);
      this.total -= textBytes(old);
    }
  }

  get(key: string): string | undefined {
    return this.texts.get(key);
  }

  delete(key: string): void {
    const old = this.texts.get(key);
    if (old === undefined) return;
    this.texts.delete(key);
    this.total -= textBytes(old);
  }

  get size(): number {
    return this.texts.size;
  }

  get bytes(): number {
    return this.total;
  }
}
