import { strict as assert } from 'node:assert';
import { terminalJson, terminalSafe } from '@kplane/plane';

describe('cluster text printed to a terminal', () => {
  it('loses escape sequences and control characters, keeps tabs, newlines and other text', () => {
    const hostile = [
      'ok\x1b[2J\x1b[1;1Hcleared', // clear screen, move cursor
      '\x1b]0;owned\x07title', // window title (OSC … BEL)
      '\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\', // OSC 8 hyperlink
      'csi\u009b31mred', // C1 CSI
      'back\rover\x08\x7fdel\x00nul',
    ];
    const out = hostile.map(terminalSafe);
    assert.deepEqual(out, ['okcleared', 'title', 'link', 'csired', 'backoverdelnul']);
    for (const line of out) assert.ok(!/[\x00-\x08\x0b-\x1f\x7f-\x9f]/.test(line), JSON.stringify(line));
    assert.equal(terminalSafe('a\tb\nc ünïcödé ✓'), 'a\tb\nc ünïcödé ✓');
  });

  it('JSON keeps the data but escapes what JSON.stringify leaves raw', () => {
    const value = { reason: 'x\u009b2Jy\x7f', ok: 'é' };
    const text = terminalJson(value);
    assert.ok(!/[\x00-\x1f\x7f-\x9f]/.test(text), text);
    assert.deepEqual(JSON.parse(text), value);
  });
});
