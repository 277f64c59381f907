/** Structured JSON logs, one object per line on stdout, with sensitive values masked. */
import { redact } from '../core/redact.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export class Logger {
  private readonly secrets = new Set<string>();

  constructor(
    private readonly fields: Record<string, unknown> = {},
    private readonly min: Level = 'info',
    private readonly sink: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
    secrets?: Set<string>,
  ) {
    if (secrets) this.secrets = secrets;
  }

  child(fields: Record<string, unknown>): Logger {
    return new Logger({ ...this.fields, ...fields }, this.min, this.sink, this.secrets);
  }

  /** Values that must never be printed (shared with children). */
  addSecrets(values: Iterable<string>): void {
    for (const v of values) this.secrets.add(v);
  }

  log(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
    if (ORDER[level] < ORDER[this.min]) return;
    const line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...this.fields, ...fields }, (_k, v) => (v instanceof Error ? v.message : v));
    this.sink(this.secrets.size ? redact(line, [...this.secrets]) : line);
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
