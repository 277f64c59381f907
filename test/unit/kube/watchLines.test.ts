/**
 * The one watch-line decoder of @kplane/kube: lines split anywhere across chunks (inside a
 * multibyte character, between CR and LF), and a cap per line that fails as soon as a line
 * passes it, naming the resource and the cap.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KubeError, MAX_WATCH_LINE_BYTES, parseWatchLine, WatchLineDecoder } from '@kplane/kube';

/** Feeds `chunks` through one decoder (then end()) and returns the lines it gave. */
function decode(chunks: Uint8Array[], cap?: number): string[] {
  const decoder = new WatchLineDecoder('/api/v1/configmaps', cap);
  const lines: string[] = [];
  for (const chunk of chunks) decoder.push(chunk, (l) => lines.push(l));
  decoder.end((l) => lines.push(l));
  return lines;
}

/** `bytes` cut at the given offsets. */
function cut(bytes: Uint8Array, at: number[]): Uint8Array[] {
  const points = [...new Set(at.map((n) => n % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    chunks.push(bytes.subarray(from, p));
    from = p;
  }
  return chunks;
}

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('kube: watch line decoder', () => {
  it('gives whole lines from chunks cut anywhere, several lines per chunk, skipping blank lines', () => {
    const text = '{"type":"ADDED","n":1}\n\n{"type":"MODIFIED","n":2}\n   \n{"type":"DELETED","n":3}\n';
    const expected = ['{"type":"ADDED","n":1}', '{"type":"MODIFIED","n":2}', '{"type":"DELETED","n":3}'];
    const bytes = utf8(text);
    assert.deepEqual(decode([bytes]), expected);
    for (let i = 0; i <= bytes.length; i++) assert.deepEqual(decode(cut(bytes, [i])), expected, `cut at ${i}`);
    assert.deepEqual(decode([...bytes].map((b) => Uint8Array.of(b))), expected, 'one byte per chunk');
  });

  it('keeps multibyte UTF-8 characters intact when a chunk boundary falls inside one', () => {
    const line = JSON.stringify({ object: { data: { text: 'é € 😀 日本語 ü' } } });
    const bytes = utf8(`${line}\n`);
    for (let i = 0; i <= bytes.length; i++) {
      for (const j of [i + 1, i + 2, i + 3]) assert.deepEqual(decode(cut(bytes, [i, j])), [line], `cut at ${i} and ${j}`);
    }
  });

  it('takes CR LF line ends, also when CR and LF arrive in different chunks', () => {
    const bytes = utf8('{"a":1}\r\n{"b":"x\\r"}\r\n');
    const at = bytes.indexOf(0x0a);
    assert.deepEqual(decode(cut(bytes, [at])), ['{"a":1}', '{"b":"x\\r"}']);
    assert.deepEqual(decode([utf8('{"a":1}\r'), utf8('\n{"b":2}\r\n')]), ['{"a":1}', '{"b":2}']);
  });

  it('gives the last line when the stream ends without a newline', () => {
    assert.deepEqual(decode([utf8('{"a":1}\n{"b'), utf8('":2}')]), ['{"a":1}', '{"b":2}']);
  });

  it('equals a one-shot split for any lines and any chunking (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme' }).map((s) => s.replace(/[\r\n]/g, '')), { maxLength: 8 }), fc.boolean(), fc.array(fc.nat(), { maxLength: 10 }), (lines, crlf, at) => {
        const bytes = utf8(lines.map((l) => `${l}${crlf ? '\r\n' : '\n'}`).join(''));
        assert.deepEqual(decode(cut(bytes, at)), lines.map((l) => l.trim()).filter(Boolean));
      }),
    );
  });

  it('accepts a line of exactly the cap and refuses one byte more, naming the resource and the cap', () => {
    const cap = 64;
    const exact = `{"s":"${'x'.repeat(cap - 8)}"}`;
    assert.equal(exact.length, cap);
    assert.deepEqual(decode([utf8(`${exact}\n`)], cap), [exact]);
    assert.deepEqual(decode([utf8(`${exact}\r`), utf8('\n')], cap + 1), [exact]);
    const over = `{"s":"${'x'.repeat(cap - 7)}"}\n`;
    assert.throws(() => decode([utf8(over)], cap), (err: unknown) => {
      assert.ok(err instanceof KubeError);
      assert.equal(err.reason, 'WatchLineTooLong');
      assert.match(err.message, /watch \/api\/v1\/configmaps: .*over the cap of 64 bytes per line/);
      return true;
    });
  });

  it('fails as soon as a line passes the cap, before its newline comes (memory stays bounded)', () => {
    const decoder = new WatchLineDecoder('/apis/kplane.dev/v1alpha1/clusterprofiles', 1000);
    const chunk = new Uint8Array(300).fill(0x61);
    for (let i = 0; i < 3; i++) decoder.push(chunk, () => assert.fail('no line yet'));
    assert.throws(() => decoder.push(chunk, () => undefined), /clusterprofiles: an event line reached 1200 bytes, over the cap of 1000 bytes/);
  });

  it('defaults to a cap above the largest object etcd stores (1.5 MiB, JSON-encoded)', () => {
    assert.ok(MAX_WATCH_LINE_BYTES >= 2 * 1.5 * 1024 * 1024);
    const big = JSON.stringify({ type: 'ADDED', object: { data: { v: 'y'.repeat(3 * 1024 * 1024) } } });
    assert.deepEqual(decode(cut(utf8(`${big}\n`), [1, 65536, 3_000_000])).map((l) => l.length), [big.length]);
  });

  it('refuses a line that is not JSON instead of skipping it', () => {
    assert.deepEqual(parseWatchLine('{"type":"BOOKMARK","object":{}}', '/x'), { type: 'BOOKMARK', object: {} });
    assert.throws(() => parseWatchLine('<html>502 Bad Gateway</html>', '/api/v1/pods'), /watch \/api\/v1\/pods: the server sent a line that is not JSON \("<html>502/);
  });
});
