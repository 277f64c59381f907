/** A unified line diff (LCS), small enough for profile specs; used by `kplane diff`. */
interface Op {
  op: ' ' | '-' | '+';
  line: string;
  /** Lines of `before` and `after` consumed before this op. */
  a: number;
  b: number;
}

export function unifiedDiff(before: string, after: string, labels: { before: string; after: string }, context = 3): string {
  const a = before.split('\n');
  const b = after.split('\n');
  // LCS table, O(n·m): profile specs are hundreds of lines, not hundreds of thousands.
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) ops.push({ op: ' ', line: a[i], a: i++, b: j++ });
    else if (i < a.length && (j >= b.length || lcs[i + 1][j] >= lcs[i][j + 1])) ops.push({ op: '-', line: a[i], a: i++, b: j });
    else ops.push({ op: '+', line: b[j], a: i, b: j++ });
  }
  const changes = ops.flatMap((o, k) => (o.op === ' ' ? [] : [k]));
  if (!changes.length) return '';
  // Changes closer than 2×context lines share a hunk.
  const groups: [number, number][] = [];
  for (const k of changes) {
    const last = groups[groups.length - 1];
    if (last && k - last[1] <= 2 * context) last[1] = k;
    else groups.push([k, k]);
  }
  const out = [`--- ${labels.before}`, `+++ ${labels.after}`];
  for (const [first, last] of groups) {
    const hunk = ops.slice(Math.max(0, first - context), Math.min(ops.length, last + context + 1));
    const aLen = hunk.filter((o) => o.op !== '+').length;
    const bLen = hunk.filter((o) => o.op !== '-').length;
    out.push(`@@ -${hunk[0].a + (aLen ? 1 : 0)},${aLen} +${hunk[0].b + (bLen ? 1 : 0)},${bLen} @@`, ...hunk.map((o) => `${o.op}${o.line}`));
  }
  return `${out.join('\n')}\n`;
}
