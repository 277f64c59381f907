import { strict as assert } from 'node:assert';
import { Worker } from 'node:worker_threads';
import { compilePattern, matchesPattern, validateProfile, MAX_PATTERN_LENGTH, type Finding } from '@kplane/profile';
import { checkValues } from '@kplane/media';
import type { PatternJob } from './patternWorker.js';

/**
 * Runs a job in a worker thread (./patternWorker.ts). The deadline is a hang guard, not a
 * measurement: RE2 decides each subject here in well under a second on the loaded machine, and a
 * backtracking engine (RegExp in place of RE2: checked, it never returns) would otherwise freeze
 * the test process for good instead of failing.
 */
const HANG_GUARD_MS = 60_000;
let worker: Worker | undefined;
let nextId = 0;
function inWorker<T>(job: PatternJob, what: string): Promise<T> {
  // One worker for every job (loading the packages is most of the cost); a hung one is replaced.
  const w = (worker ??= new Worker(new URL('./patternWorker.js', import.meta.url)));
  w.unref();
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      w.off('message', onMessage);
      w.off('error', onError);
    };
    const onMessage = (m: { id: number; result: T }) => {
      if (m.id !== id) return;
      done();
      resolve(m.result);
    };
    const onError = (err: Error) => {
      done();
      if (worker === w) worker = undefined;
      reject(err);
    };
    const timer = setTimeout(() => {
      done();
      if (worker === w) worker = undefined;
      void w.terminate();
      reject(new Error(`${what}: not decided within ${HANG_GUARD_MS / 1000} s: the pattern engine backtracks (RE2 is one linear pass)`));
    }, HANG_GUARD_MS);
    w.on('message', onMessage);
    w.on('error', onError);
    w.postMessage({ id, job });
  });
}

/**
 * Known catastrophic patterns (OWASP's ReDoS list, CVEs of ms, ua-parser, moment, marked…), each
 * with a subject a backtracking engine needs longer than the age of the universe for (exponential
 * ones) or 10^9+ steps for (polynomial ones). With RE2 each is one linear pass: the test finishing
 * at all is the proof, and test/bench/patternBench.ts prints the growth ratios.
 */
const N_EXP = 5_000;
const N_POLY = 50_000;
const corpus: { pattern: string; bad: string; good: string }[] = [
  { pattern: '(a+)+$', bad: 'a'.repeat(N_EXP) + '!', good: 'a'.repeat(N_EXP) },
  { pattern: '^(a*)*$', bad: 'a'.repeat(N_EXP) + '!', good: 'aaa' },
  { pattern: '^(a|a)*$', bad: 'a'.repeat(N_EXP) + '!', good: 'aaaa' },
  { pattern: '^(a|aa)+$', bad: 'a'.repeat(N_EXP) + '!', good: 'aaaaa' },
  { pattern: '^(a|a?)+$', bad: 'a'.repeat(N_EXP) + 'b', good: 'aa' },
  { pattern: '^(x+x+)+y$', bad: 'x'.repeat(N_EXP), good: 'xxy' },
  { pattern: '^(\\w+\\s?)*$', bad: 'word '.repeat(N_EXP / 5) + '!', good: 'two words' },
  { pattern: '^(([a-z])+.)+[A-Z]([a-z])+$', bad: 'a'.repeat(N_EXP) + '!', good: 'abcAbc' },
  {
    pattern: '^([a-zA-Z0-9])(([\\-.]|[_]+)?([a-zA-Z0-9]+))*(@){1}[a-z0-9]+[.]{1}(([a-z]{2,3})|([a-z]{2,3}[.]{1}[a-z]{2,3}))$',
    bad: 'a'.repeat(N_EXP) + '!',
    good: 'ann.lee@example.com',
  },
  { pattern: '^(\\d+)*$', bad: '1'.repeat(N_EXP) + 'x', good: '12345' },
  { pattern: '(.*a){20}', bad: 'a'.repeat(19) + 'b'.repeat(N_POLY), good: 'a'.repeat(20) },
  { pattern: '\\s+$', bad: ' '.repeat(N_POLY) + '!', good: 'trailing  ' },
  { pattern: '[\\s\\x{200c}]+$', bad: ' '.repeat(N_POLY) + '!', good: 'x\u200c' },
  { pattern: '(a|b|ab)*c', bad: 'ab'.repeat(N_POLY / 2), good: 'ababc' },
];

describe('variable patterns (RE2, linear time)', () => {
  after(() => worker?.terminate());

  describe('a corpus of catastrophic patterns', () => {
    for (const { pattern, bad, good } of corpus) {
      it(`${pattern} decides a ${bad.length}-character subject in one pass`, async function () {
        this.timeout(HANG_GUARD_MS + 10_000);
        const decided = await inWorker<{ ok: boolean; results?: boolean[]; problem?: string }>({ op: 'test', pattern, subjects: [bad, good] }, pattern);
        assert.ok(decided.ok, `${pattern} should compile: ${decided.problem}`);
        assert.equal(decided.results![0], false);
        assert.equal(decided.results![1], true, `${pattern} should match ${JSON.stringify(good)}`);
      });
    }
  });

  it('validateProfile reports a value failing a catastrophic pattern instead of hanging (was 10 s at 26 characters)', async function () {
    this.timeout(HANG_GUARD_MS + 10_000);
    const value = 'a'.repeat(2_000) + '!';
    const findings = await inWorker<Finding[]>({ op: 'validate', doc: profile({ name: 'name', type: 'string', pattern: '(a+)+$' }, value) }, 'validateProfile');
    const invalid = findings.filter((f: Finding) => f.code === 'INVALID_VALUE');
    assert.equal(invalid.length, 1, JSON.stringify(findings.map((f) => f.code)));
    assert.match(invalid[0].message, /does not match the pattern \(a\+\)\+\$/);
  });

  it('the values editor (webview and extension gate) uses the same engine and agrees', async function () {
    this.timeout(HANG_GUARD_MS + 10_000);
    const variables = [{ name: 'name', type: 'string' as const, pattern: '(a+)+$' }];
    const r = await inWorker<{ code: string }[]>({ op: 'checkValues', text: `name: "${'a'.repeat(2_000)}!"\n`, variables }, 'checkValues');
    assert.deepEqual(
      r.map((f) => f.code),
      ['VALUE_PATTERN_MISMATCH'],
    );
    // Unicode: one code point is one character, as with the agent (the webview used to lack the u flag).
    const emoji = [{ name: 'name', type: 'string' as const, pattern: '^.$' }];
    assert.deepEqual(checkValues('name: "😀"\n', { variables: emoji }).findings, []);
    assert.equal(matchesPattern('^.$', '😀'), true);
  });

  it("a cluster's CRD schema with a catastrophic pattern is matched with RE2 too", async function () {
    this.timeout(HANG_GUARD_MS + 10_000);
    const crd = (pattern: string) => ({
      schemaFor: () => ({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { spec: { type: 'object', properties: { host: { type: 'string', pattern } } } } }),
    });
    const doc = {
      apiVersion: 'kplane.dev/v1alpha1',
      kind: 'ClusterProfile',
      metadata: { name: 'p' },
      spec: { version: '1.0.0', layers: [{ name: 'base', manifests: [{ apiVersion: 'x.dev/v1', kind: 'Thing', metadata: { name: 't' }, spec: { host: 'a'.repeat(2_000) + '!' } }] }] },
    };
    const mismatch = await inWorker<Finding[]>({ op: 'validate', doc, clusterPattern: '^(a+)+$' }, 'a CRD pattern');
    assert.deepEqual(
      mismatch.map((f) => f.code),
      ['CLUSTER_PATTERN_MISMATCH'],
    );
    // A pattern RE2 refuses (the API server would have refused the CRD too) leaves the manifest to the profile schema.
    const unusable = validateProfile(doc, { clusterSchemas: crd('^(?!a)') });
    assert.deepEqual(
      unusable.map((f) => f.code),
      ['CLUSTER_SCHEMA_UNUSABLE'],
    );
    assert.match(unusable[0].message, /negative lookahead/);
  });

  describe('patterns RE2 cannot express are findings with a clear message', () => {
    const cases: [string, RegExp][] = [
      ['^(a)\\1$', /backreference \(\\1\)/],
      ['^(?<x>a)\\k<x>$', /named backreference/],
      ['^(?=.*\\d).+$', /lookahead \(\?=…\)/],
      ['^(?!admin).+$', /negative lookahead/],
      ['(?<=a)b', /lookbehind \(\?<=…\)/],
      ['(?<!a)b', /negative lookbehind/],
      ['(?>a+)b', /atomic group/],
      ['(a', /not a valid RE2 regular expression \(missing closing \)/],
      ['a{1001}', /invalid repeat count/],
      ['x'.repeat(MAX_PATTERN_LENGTH + 1), /characters long, more than the 1024 allowed/],
    ];
    for (const [pattern, says] of cases) {
      it(`${pattern.slice(0, 24)}`, () => {
        const findings = validateProfile(profile({ name: 'name', type: 'string', pattern }, 'a'));
        const f = findings.find((x) => x.code === 'INVALID_PATTERN');
        assert.ok(f, JSON.stringify(findings));
        assert.match(f.message, /^The pattern of variable "name" /);
        assert.match(f.message, says);
        assert.deepEqual(f.path, ['spec', 'variables', 0, 'pattern']);
        // Not reported as a value mismatch: an unusable pattern decides nothing.
        assert.equal(findings.filter((x) => x.code === 'INVALID_VALUE').length, 0);
      });
    }
  });

  it('escaped and bracketed look-alikes are plain characters, not lookaround', () => {
    for (const pattern of ['\\(?=x', '[(?=]+', '[\\]\\\\1]', '\\\\1']) {
      assert.ok(compilePattern(pattern).ok, pattern);
    }
  });

  it('matches anywhere unless anchored, like Go MatchString and JavaScript test()', () => {
    assert.equal(matchesPattern('b', 'abc'), true);
    assert.equal(matchesPattern('^b', 'abc'), false);
    assert.equal(matchesPattern('(', 'x'), undefined);
  });
});

function profile(variable: Record<string, unknown>, value: string): unknown {
  return {
    apiVersion: 'kplane.dev/v1alpha1',
    kind: 'ClusterProfile',
    metadata: { name: 'p' },
    spec: { version: '1.0.0', variables: [variable], values: { [String(variable.name)]: value }, layers: [{ name: 'base', manifests: [] }] },
  };
}
