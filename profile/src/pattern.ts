/**
 * Variable patterns, one implementation for the language server, the CLI, the agent, the
 * extension and the webview, so they always agree. Patterns use RE2 syntax and semantics, as Go's
 * regexp (and so Kubernetes) does, through re2js: matching takes time linear in the value, so no
 * pattern can stall a process (a JavaScript RegExp such as (a+)+$ backtracks exponentially).
 * Matching is a search, as JavaScript's test() and Go's MatchString are: anchor with ^ and $.
 *
 * Pure: no Node, no DOM. Never throws on user input.
 */
import { RE2JS } from 're2js';

/** Longer patterns are refused: RE2 compiles in time linear in the pattern, but 100k characters take a second. */
export const MAX_PATTERN_LENGTH = 1024;

export type CompiledPattern = { ok: true; test: (value: string) => boolean } | { ok: false; problem: string };

const cache = new Map<string, CompiledPattern>();
const CACHE_SIZE = 256;

/**
 * The pattern compiled, or why it cannot be: `problem` completes "The pattern … " and says
 * what to do, e.g. "uses a backreference (\1), which RE2 cannot express: …".
 */
export function compilePattern(pattern: string): CompiledPattern {
  const hit = cache.get(pattern);
  if (hit) {
    // Least recently used goes first: re-insert on use.
    cache.delete(pattern);
    cache.set(pattern, hit);
    return hit;
  }
  const compiled = compileUncached(pattern);
  cache.set(pattern, compiled);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  return compiled;
}

function compileUncached(pattern: string): CompiledPattern {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return { ok: false, problem: `is ${pattern.length} characters long, more than the ${MAX_PATTERN_LENGTH} allowed: shorten it, or use enum for a list of values.` };
  }
  const unsupported = unsupportedSyntax(pattern);
  if (unsupported) {
    return {
      ok: false,
      problem: `uses ${unsupported}, which RE2 cannot express: kplane matches patterns with RE2 (the syntax of Go and Kubernetes), which runs in linear time. Rewrite the pattern without it.`,
    };
  }
  try {
    const re = RE2JS.compile(pattern);
    return { ok: true, test: (value) => re.matcher(value).find() };
  } catch (e) {
    const detail = e instanceof Error ? e.message.replace(/^error parsing regexp: /, '') : String(e);
    return { ok: false, problem: `is not a valid RE2 regular expression (${detail}): fix its syntax; RE2 is the syntax of Go and Kubernetes.` };
  }
}

/** Backtracking-only constructs, named for the message (RE2's own error for them is cryptic). */
function unsupportedSyntax(pattern: string): string | undefined {
  // Skip escaped characters and character classes, where these sequences mean nothing special.
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9]/.test(next)) return `a backreference (\\${next})`;
      if (next === 'k' && pattern[i + 2] === '<') return 'a named backreference (\\k<…>)';
      i++;
      continue;
    }
    if (c === '[') {
      // A class ends at the first ] that is not its first character and not escaped.
      let j = i + 1;
      if (pattern[j] === '^') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j += pattern[j] === '\\' ? 2 : 1;
      i = j;
      continue;
    }
    if (c === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2, i + 4);
      if (rest.startsWith('=')) return 'a lookahead (?=…)';
      if (rest.startsWith('!')) return 'a negative lookahead (?!…)';
      if (rest === '<=') return 'a lookbehind (?<=…)';
      if (rest === '<!') return 'a negative lookbehind (?<!…)';
      if (rest.startsWith('>')) return 'an atomic group (?>…)';
    }
  }
  return undefined;
}

/** Whether `value` matches `pattern`; undefined when the pattern is not usable (reported elsewhere). */
export function matchesPattern(pattern: string, value: string): boolean | undefined {
  const compiled = compilePattern(pattern);
  return compiled.ok ? compiled.test(value) : undefined;
}

/**
 * An ajv `code.regExp` engine on RE2, so JSON Schema patterns (ours and a cluster's CRDs) match in
 * linear time too. Throws on a pattern RE2 cannot compile: ajv reports that as a schema error.
 */
export function re2RegExp(pattern: string): { test: (value: string) => boolean; toString: () => string } {
  const compiled = compilePattern(pattern);
  if (!compiled.ok) throw new Error(`The JSON Schema pattern ${JSON.stringify(pattern)} ${compiled.problem}`);
  // ajv keys its compiled patterns by toString(): it must differ per pattern.
  return { test: compiled.test, toString: () => `/${pattern}/` };
}
re2RegExp.code = 're2RegExp';
