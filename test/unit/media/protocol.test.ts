import { strict as assert } from 'node:assert';
import { parseWebviewMessage, escapeHtml } from '@kplane/media';

const ref = { context: 'kind-edge-1', namespace: 'kplane-system', name: 'edge-baseline' };

describe('dashboard protocol', () => {
  it('accepts each well-formed webview message', () => {
    for (const message of [
      { type: 'ready' },
      { type: 'rendered', clusters: 3, profiles: 2 },
      { type: 'openValues', ref },
      { type: 'validateValues', requestId: 1, ref, yaml: 'replicas: 3\n' },
      { type: 'applyValues', requestId: 2, ref, yaml: 'replicas: 3\n' },
      { type: 'log', level: 'error', message: 'boom' },
    ]) {
      const parsed = parseWebviewMessage(message);
      assert.ok(parsed.ok, `${message.type}: ${parsed.ok ? '' : parsed.error}`);
      assert.deepEqual(parsed.value, message);
    }
  });

  it('rejects malformed messages with an error naming what is wrong', () => {
    const cases: [unknown, RegExp][] = [
      [null, /expected an object.*null/],
      ['ready', /expected an object/],
      [[], /an array/],
      [{ type: 'nuke' }, /unknown message type "nuke"/],
      [{}, /unknown message type undefined/],
      [{ type: 'rendered', clusters: -1, profiles: 0 }, /non-negative integer/],
      [{ type: 'openValues' }, /"openValues": "ref" must be an object/],
      [{ type: 'openValues', ref: { ...ref, name: '' } }, /"ref.name" must be a non-empty string/],
      [{ type: 'applyValues', ref, yaml: 'a: 1' }, /"applyValues" needs a non-negative integer "requestId"/],
      [{ type: 'applyValues', requestId: 1.5, ref, yaml: 'a: 1' }, /requestId/],
      [{ type: 'applyValues', requestId: 1, ref, yaml: { replicas: 3 } }, /"applyValues" needs the edited values as a string "yaml"/],
      [{ type: 'applyValues', requestId: 1, ref, yaml: 'x'.repeat(300 * 1024) }, /more than the 262144 allowed/],
      [{ type: 'log', level: 'debug', message: 'x' }, /"log" needs "level"/],
    ];
    for (const [raw, expected] of cases) {
      const parsed = parseWebviewMessage(raw);
      assert.equal(parsed.ok, false, `accepted ${JSON.stringify(raw)?.slice(0, 80)}`);
      if (!parsed.ok) assert.match(parsed.error, expected);
    }
  });

  it('drops fields it does not know, so nothing unexpected reaches the handlers', () => {
    const parsed = parseWebviewMessage({ type: 'openValues', ref: { ...ref, extra: 1 }, evil: '<script>' });
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.value, { type: 'openValues', ref });
  });
});

describe('escapeHtml', () => {
  it('escapes the five HTML-significant characters', () => {
    assert.equal(escapeHtml(`<img src=x onerror="alert('x')">&amp;`), '&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;amp;');
  });
  it('leaves other text, including non-ASCII, as it is', () => {
    assert.equal(escapeHtml('edge-1 · Zürich ✓'), 'edge-1 · Zürich ✓');
  });
});
