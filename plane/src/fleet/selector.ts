/**
 * Kubernetes label selectors as `kubectl -l` takes them: `env=prod,tier in (edge,core),!canary`.
 * Supported terms: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k` (exists), `!k`
 * (does not exist). Terms are ANDed. Parsing returns data; it never throws on user input.
 */

export type Requirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'doesnotexist' };

export interface Selector {
  text: string;
  requirements: Requirement[];
}

export type SelectorResult = { ok: true; selector: Selector } | { ok: false; error: string };

// A label key: optional DNS-subdomain prefix, then a name of [A-Za-z0-9._-]; values the same minus '/'.
const KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

export function parseSelector(text: string): SelectorResult {
  const requirements: Requirement[] = [];
  const terms = splitTerms(text);
  if (!terms.ok) return terms;
  for (const raw of terms.terms) {
    const term = raw.trim();
    if (term === '') continue;
    const parsed = parseTerm(term);
    if ('error' in parsed) return { ok: false, error: `label selector "${text}": ${parsed.error}` };
    requirements.push(parsed);
  }
  return { ok: true, selector: { text, requirements } };
}

/** Every requirement holds for `labels`. The empty selector matches everything, like Kubernetes. */
export function matchesSelector(selector: Selector, labels: Readonly<Record<string, string>> | undefined): boolean {
  const has = (key: string) => labels !== undefined && Object.prototype.hasOwnProperty.call(labels, key);
  return selector.requirements.every((r) => {
    switch (r.op) {
      case 'exists':
        return has(r.key);
      case 'doesnotexist':
        return !has(r.key);
      case 'in':
        return has(r.key) && r.values.includes(labels![r.key]);
      case 'notin':
        return !has(r.key) || !r.values.includes(labels![r.key]);
    }
  });
}

// Commas separate terms except inside the parentheses of an `in`/`notin` set.
function splitTerms(text: string): { ok: true; terms: string[] } | { ok: false; error: string } {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(') depth++;
    else if (ch === ')') {
      depth--;
      if (depth < 0) return { ok: false, error: `label selector "${text}": unexpected ")" at position ${i + 1}` };
    } else if (ch === ',' && depth === 0) {
      terms.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) return { ok: false, error: `label selector "${text}": a "(" is not closed; write sets as "key in (a,b)"` };
  terms.push(text.slice(start));
  return { ok: true, terms };
}

function parseTerm(term: string): Requirement | { error: string } {
  const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(term);
  if (set) {
    const [, key, op, list] = set;
    const values = list.split(',').map((v) => v.trim());
    if (!KEY.test(key)) return badKey(key);
    const bad = values.find((v) => !VALUE.test(v));
    if (bad !== undefined) return badValue(bad, key);
    return { key, op: op as 'in' | 'notin', values };
  }
  const cmp = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
  if (cmp) {
    const [, key, op, value] = cmp;
    if (!KEY.test(key)) return badKey(key);
    if (!VALUE.test(value)) return badValue(value, key);
    return { key, op: op === '!=' ? 'notin' : 'in', values: [value] };
  }
  const not = /^!\s*(\S+)$/.exec(term);
  if (not) return KEY.test(not[1]) ? { key: not[1], op: 'doesnotexist' } : badKey(not[1]);
  if (KEY.test(term)) return { key: term, op: 'exists' };
  return { error: `cannot read "${term}"; use key=value, key!=value, key in (a,b), key notin (a,b), key or !key` };
}

function badKey(key: string) {
  return { error: `"${key}" is not a valid label key (letters, digits, '-', '_', '.', optional "prefix/")` };
}

function badValue(value: string, key: string) {
  return { error: `"${value}" is not a valid value for label "${key}" (letters, digits, '-', '_', '.', at most 63 characters)` };
}
