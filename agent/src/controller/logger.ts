/** Structured JSON logs, one object per line on stdout, with sensitive values masked. */
import { redact } from '../core/redact.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * The values a logger masks, by owner (a profile's key, the hub token): each owner's values
 * replace its previous ones and go with it, so an agent that runs for months holds the secrets
 * of the profiles it has now, not of every version it ever saw (the set only grew before). Past
 * `maxBytes` the owners set least recently go first, never the one being set; a live profile's
 * values come back with its next run.
 */
export class SecretValues {
  private readonly owners = new Map<string, { values: string[]; bytes: number }>();
  private total = 0;
  private flat: string[] | undefined = [];

  constructor(private readonly maxBytes = SECRET_VALUES_MAX_BYTES) {}

  set(owner: string, values: Iterable<string>): void {
    const unique = [...new Set(values)].filter((v) => v !== '');
    this.forget(owner);
    if (!unique.length) return;
    const bytes = unique.reduce((n, v) => n + Buffer.byteLength(v, 'utf8'), 0);
    this.owners.set(owner, { values: unique, bytes });
    this.total += bytes;
    this.flat = undefined;
    for (const [oldest, entry] of this.owners) {
      if (this.total <= this.maxBytes || oldest === owner) break;
      this.owners.delete(oldest);
      this.total -= entry.bytes;
    }
  }

  of(owner: string): readonly string[] {
    return this.owners.get(owner)?.values ?? [];
  }

  forget(owner: string): void {
    const entry = this.owners.get(owner);
    if (!entry) return;
    this.owners.delete(owner);
    this.total -= entry.bytes;
    this.flat = undefined;
  }

  /** Every value held; built once per change, not per line. */
  all(): string[] {
    this.flat ??= [...new Set([...this.owners.values()].flatMap((e) => e.values))];
    return this.flat;
  }

  get bytes(): number {
    return this.total;
  }
}

const SHARED_OWNER = '\u0000shared';

/** Far above what the profiles of one cluster hold (one profile is at most 1.5 MiB whole). */
export const SECRET_VALUES_MAX_BYTES = 4 * 1024 * 1024;

export class Logger {
  private readonly secrets: SecretValues;

  constructor(
    private readonly fields: Record<string, unknown> = {},
    private readonly min: Level = 'info',
    private readonly sink: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
    secrets?: SecretValues,
  ) {
    this.secrets = secrets ?? new SecretValues();
  }

  child(fields: Record<string, unknown>): Logger {
    return new Logger({ ...this.fields, ...fields }, this.min, this.sink, this.secrets);
  }

  /** Values that must never be printed, replacing `owner`'s previous ones (shared with children). */
  setSecrets(owner: string, values: Iterable<string>): void {
    this.secrets.set(owner, values);
  }

  /**
   * Values with no owner that goes away (the hub token and its renewals): they accumulate, within
   * the byte budget, as every value did before owners.
   */
  addSecrets(values: Iterable<string>): void {
    this.secrets.set(SHARED_OWNER, [...this.secrets.of(SHARED_OWNER), ...values]);
  }

  /** `owner` is gone (a deleted profile): its values are no longer held. */
  forgetSecrets(owner: string): void {
    this.secrets.forget(owner);
  }

  /** Bytes of the values held, for tests. */
  get secretBytes(): number {
    return this.secrets.bytes;
  }

  log(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
    if (ORDER[level] < ORDER[this.min]) return;
    const line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...this.fields, ...fields }, (_k, v) => (v instanceof Error ? v.message : v));
    const secrets = this.secrets.all();
    this.sink(secrets.length ? redact(line, secrets) : line);
  }

  debug(msg: string, fields?: Record<string, unknown>): void {
    this.log('debug', msg, fields);
  }
  info(msg: string, fields?: Record<string, unknown>): void {
    this.log('info', msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    this.log('warn', msg, fields);
  }
  error(msg: string, fields?: Record<string, unknown>): void {
    this.log('error', msg, fields);
  }
}
