/**
 * The one decoder of watch streams: newline-delimited JSON events, read as bytes. Bytes are
 * scanned once (a partial line is kept as the chunks it came in and joined once, when its newline
 * arrives), so a long line costs linear time, not a rescan per chunk; a line is decoded as UTF-8
 * only when whole, so characters split across chunks come out intact; and a line longer than
 * the cap is an error instead of memory that grows without bound.
 */
import { KubeError, type WatchLine } from './errors.js';

/**
 * The cap per line. etcd stores at most 1.5 MiB per object (measured on the bed:
 * test/cluster/profileSize.test.ts); as JSON, a protobuf-stored object grows by base64 at most
 * 4/3, plus the event's envelope. 8 MiB leaves room for that and bounds a broken stream.
 */
export const MAX_WATCH_LINE_BYTES = 8 * 1024 * 1024;

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

export class WatchLineDecoder {
  private parts: Buffer[] = [];
  private pending = 0;

  constructor(
    /** What is watched, for the error: the collection path. */
    private readonly what: string,
    private readonly maxLineBytes = MAX_WATCH_LINE_BYTES,
  ) {}

  /** Calls `onLine` with each complete, non-empty line of `chunk` (CR LF or LF ended, trimmed). */
  push(chunk: Uint8Array, onLine: (line: string) => void): void {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    for (let newline = bytes.indexOf(NEWLINE, start); newline >= 0; newline = bytes.indexOf(NEWLINE, start)) {
      const piece = bytes.subarray(start, newline);
      this.check(piece.length);
      const line = this.pending ? Buffer.concat([...this.parts, piece], this.pending + piece.length) : piece;
      this.parts = [];
      this.pending = 0;
      start = newline + 1;
      emit(line, onLine);
    }
    if (start < bytes.length) {
      const rest = bytes.subarray(start);
      this.check(rest.length);
      this.parts.push(rest);
      this.pending += rest.length;
    }
  }

  /** The last line, when the stream ended without a newline after it. */
  end(onLine: (line: string) => void): void {
    if (!this.pending) return;
    const line = Buffer.concat(this.parts, this.pending);
    this.parts = [];
    this.pending = 0;
    emit(line, onLine);
  }

  private check(more: number): void {
    if (this.pending + more <= this.maxLineBytes) return;
    const size = this.pending + more;
    this.parts = [];
    this.pending = 0;
    throw new KubeError(
      `watch ${this.what}: an event line reached ${size} bytes, over the cap of ${this.maxLineBytes} bytes per line; the stream was closed. ` +
        'No object the API server stores is that large: check what answers for the API server (a proxy?).',
      undefined,
      'WatchLineTooLong',
    );
  }
}

function emit(line: Buffer, onLine: (line: string) => void): void {
  const end = line.length && line[line.length - 1] === CARRIAGE_RETURN ? line.length - 1 : line.length;
  const text = line.toString('utf8', 0, end).trim();
  if (text) onLine(text);
}

/** One watch event from one line; a line that is not JSON is an error, not something to skip. */
export function parseWatchLine(line: string, what: string): WatchLine {
  let event: WatchLine;
  try {
    event = JSON.parse(line) as WatchLine;
  } catch {
    throw new KubeError(`watch ${what}: the server sent a line that is not JSON (${JSON.stringify(line.slice(0, 80))}…); the stream was closed.`, undefined, 'WatchDecodeError');
  }
  return event;
}
