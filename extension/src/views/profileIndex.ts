/**
 * The Profiles view's index of workspace files: each file's profiles, kept between scans, so a
 * change re-reads the files the file watcher named and nothing else (every change used to
 * re-read and re-parse every YAML file of the workspace). A full scan happens at first use and
 * when the workspace folders change. No `vscode`: the view injects listing, reading and parsing.
 */
import type { ProfileSummary } from './profileFiles.js';

export interface ProfileIndexDeps {
  /** Every candidate file of the workspace (keys: URI strings), at most `maxFiles`. */
  list(): Promise<string[]>;
  /** A file's bytes, or undefined when it is gone, unreadable or over the size limit. */
  read(key: string): Promise<Uint8Array | undefined>;
  /** Its profiles (off the main thread: ./profileParser.ts). */
  parse(bytes: Uint8Array, key: string): Promise<ProfileSummary[]>;
  /** Files the listing leaves out (node_modules, out, dist), for watcher events about them. */
  excluded?(key: string): boolean;
  /** Files held at most (default 2,000, the listing's cap). */
  maxFiles?: number;
}

export interface IndexedProfile extends ProfileSummary {
  key: string;
}

export class ProfileIndex {
  /** Files read, with what they hold (an empty list for a file with no profile). */
  private readonly files = new Map<string, ProfileSummary[]>();
  private readonly dirty = new Set<string>();
  private needsFullScan = true;
  private running: Promise<void> | undefined;
  /** Deletions the watcher reported while a pass was reading (a file read then must not come back). */
  private deletions: string[] = [];
  /** Files read and parsed since the start, for tests. */
  reads = 0;

  constructor(private readonly deps: ProfileIndexDeps) {}

  /** The watcher saw `key` created or changed. */
  changed(key: string): void {
    if (this.deps.excluded?.(key)) return;
    if (!this.files.has(key) && this.files.size + this.dirty.size >= (this.deps.maxFiles ?? 2000)) return;
    this.dirty.add(key);
  }

  /** The watcher saw `key` deleted: a file, or a folder and all it held. True when it held something. */
  deleted(key: string): boolean {
    if (this.running) this.deletions.push(key);
    const prefix = key.endsWith('/') ? key : `${key}/`;
    let removed = false;
    for (const known of [...this.files.keys(), ...this.dirty]) {
      if (known === key || known.startsWith(prefix)) {
        removed = this.files.delete(known) || removed;
        this.dirty.delete(known);
      }
    }
    return removed;
  }

  /** Everything again (workspace folders changed). */
  reset(): void {
    this.needsFullScan = true;
  }

  /** Every profile found, sorted by name, after reading what changed. */
  async profiles(): Promise<IndexedProfile[]> {
    await this.update();
    const found: IndexedProfile[] = [];
    for (const [key, profiles] of this.files) for (const p of profiles) found.push({ key, ...p });
    return found.sort((a, b) => a.name.localeCompare(b.name) || a.key.localeCompare(b.key));
  }

  private async update(): Promise<void> {
    // One pass at a time; a caller during a pass waits for it and then for what it left dirty.
    while (this.running) await this.running;
    if (!this.needsFullScan && this.dirty.size === 0) return;
    this.deletions = [];
    this.running = this.pass().finally(() => {
      this.running = undefined;
      this.deletions = [];
    });
    await this.running;
  }

  private async pass(): Promise<void> {
    while (this.needsFullScan || this.dirty.size) {
      if (this.needsFullScan) {
        this.needsFullScan = false;
        const listed = new Set(await this.deps.list());
        for (const key of this.files.keys()) if (!listed.has(key)) this.files.delete(key);
        // Files already read and not changed since stay as they are.
        for (const key of listed) if (!this.files.has(key)) this.dirty.add(key);
      }
      const batch = [...this.dirty];
      this.dirty.clear();
      for (const key of batch) {
        const bytes = await this.deps.read(key);
        this.reads++;
        if (bytes === undefined) {
          this.files.delete(key);
          continue;
        }
        const profiles = await this.deps.parse(bytes, key);
        // Deleted while it was being read: the deletion wins.
        if (this.dirty.has(key) || this.removedDuringPass(key)) continue;
        this.files.set(key, profiles);
      }
    }
  }

  private removedDuringPass(key: string): boolean {
    return this.deletions.some((d) => key === d || key.startsWith(d.endsWith('/') ? d : `${d}/`));
  }
}
