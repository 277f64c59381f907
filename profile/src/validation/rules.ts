/** Small predicates and formatting shared by the schema and semantic checks. */
import { DNS1123_LABEL, DNS1123_SUBDOMAIN, SEMVER } from '../schema.js';
import type { JsonPath } from './index.js';

const LABEL = new RegExp(DNS1123_LABEL);
const SUBDOMAIN = new RegExp(DNS1123_SUBDOMAIN);
const SEMVER_RE = new RegExp(SEMVER);
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** `spec.layers[0].name`: how a person reads a path. */
export function formatPath(path: JsonPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out || '(document)';
}

export function isDns1123Label(text: string): boolean {
  return text.length <= 63 && LABEL.test(text);
}

export function isDns1123Subdomain(text: string): boolean {
  return text.length <= 253 && SUBDOMAIN.test(text);
}

export function isSemver(text: string): boolean {
  return SEMVER_RE.test(text);
}

export function isIpv4(text: string): boolean {
  return IPV4.test(text);
}

function isIpv6(text: string): boolean {
  if (text.length > 45) return false;
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups = (part: string): string[] | undefined => {
    if (part === '') return [];
    const items = part.split(':');
    // An embedded IPv4 tail (::ffff:10.0.0.1) counts as two groups.
    const last = items[items.length - 1];
    if (isIpv4(last)) items.splice(items.length - 1, 1, '0', '0');
    return items.every((g) => HEX_GROUP.test(g)) ? items : undefined;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return false;
  const count = head.length + tail.length;
  return halves.length === 2 ? count < 8 : count === 8;
}

/** An IPv4 or IPv6 network in CIDR notation, e.g. 10.0.0.0/16 or fd00::/64. */
export function isCidr(text: string): boolean {
  const slash = text.indexOf('/');
  if (slash < 0) return false;
  const address = text.slice(0, slash);
  const bits = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits)) return false;
  if (isIpv4(address)) return Number(bits) <= 32;
  if (isIpv6(address)) return Number(bits) <= 128;
  return false;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

const CONSTRAINT_TERM = /^(=|!=|>=|=>|<=|=<|>|<|~>|~|\^)?\s*v?(\d+|[xX*])(\.(\d+|[xX*]))?(\.(\d+|[xX*]))?(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
const PARTIAL_VERSION = /^v?\d+(\.\d+)?(\.\d+)?(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

/**
 * A chart version as Helm reads it (Masterminds/semver constraints): an exact version, or a
 * range such as `~4.11`, `^1.2.0`, `>=1.0.0 <2.0.0`, `>= 1.0, < 2`, `1.2.x`, `1.0 - 1.4` or
 * alternatives joined by `||`.
 */
export function isChartVersion(text: string): boolean {
  if (text.length > 200 || !text.trim()) return false;
  return text.split('||').every((alternative) => {
    const part = alternative.trim();
    if (!part) return false;
    // A hyphen range: `1.2 - 1.4.5` (the hyphen stands alone between spaces).
    const hyphen = part.split(/\s+-\s+/);
    if (hyphen.length === 2) return PARTIAL_VERSION.test(hyphen[0]) && PARTIAL_VERSION.test(hyphen[1]);
    if (hyphen.length > 2) return false;
    // Terms joined by commas or spaces; an operator may stand apart from its version (`>= 1.0`).
    const terms = part.replace(/(=|!=|>=|=>|<=|=<|>|<|~>|~|\^)\s+/g, '$1').split(/\s*,\s*|\s+/);
    return terms.every((term) => CONSTRAINT_TERM.test(term));
  });
}

/** The allowed name nearest to a misspelt one, if it is near enough to be a likely typo. */
export function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase(), bestDistance);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) >= cap) return cap;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
