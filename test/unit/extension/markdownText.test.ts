/** Cluster text in Markdown (tree tooltips, the fleet report) shows as text: plane/src/fleet/markdownText.ts. */
import { strict as assert } from 'node:assert';
import { FleetModel, escapeMarkdown, reportMarkdown } from '@kplane/plane';

const hostile = 'ok ![t](https://tracker.example/p.png) [click](command:workbench.action.terminal.new) <img src=x onerror=alert(1)> **bold** `code`\n# heading\n- item | cell &amp;';

describe('cluster text in Markdown', () => {
  it('escapes every character Markdown or inline HTML reads, and keeps one line', () => {
    const out = escapeMarkdown(hostile);
    assert.doesNotMatch(out, /(^|[^\\])[[\]()<>*`#|&!]/, out);
    assert.doesNotMatch(out, /\n/);
    // Unescaping gives the text back (line breaks as spaces): nothing was lost.
    assert.equal(out.replace(/\\(.)/g, '$1'), hostile.replace(/\n/g, ' '));
  });

  it('the exported fleet report carries a hostile condition message as text', () => {
    const model = new FleetModel(() => 0);
    model.setClusters([{ id: 'evil' }]);
    model.setConnection('evil', { kind: 'unreachable', since: 0, error: hostile });
    const row = reportMarkdown(model.list(), 0).split('\n').find((l) => l.startsWith('| evil'))!;
    assert.doesNotMatch(row, /(^|[^\\])(!\[|\]\(|<img)/, row);
    assert.equal(row.split(/(?<!\\)\|/).length, 9, `a | in the message split the row: ${row}`);
  });
});
