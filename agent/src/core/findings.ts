/**
 * Validation findings as one status message: each distinct problem once, with how often it
 * occurs and where first, so 637 `${…}` of one kind read as one line, not 637.
 */
import { formatPath, type Finding } from '@kplane/profile';

/** At most `limit` distinct problems (by message), most frequent first, then in document order. */
export function summarizeFindings(findings: readonly Pick<Finding, 'message' | 'path'>[], limit = 3): string {
  const groups = new Map<string, { message: string; first: string; count: number; order: number }>();
  findings.forEach((f, order) => {
    const group = groups.get(f.message);
    if (group) group.count++;
    else groups.set(f.message, { message: f.message, first: formatPath(f.path), count: 1, order });
  });
  const sorted = [...groups.values()].sort((a, b) => b.count - a.count || a.order - b.order);
  const shown = sorted.slice(0, limit).map((g) => (g.count > 1 ? `${g.count}× ${g.message} (first at ${g.first})` : `${g.first}: ${g.message}`));
  const rest = sorted.length - shown.length;
  return `${shown.join('; ')}${rest > 0 ? ` (and ${rest} more distinct problem${rest === 1 ? '' : 's'})` : ''}`;
}
