/**
 * `npm run bench:bad-input`: how long the language service takes to answer hostile files with a
 * diagnostic (alias bomb, 10,000 levels of nesting, 20 MB), against a baseline measured in the
 * same run: a valid profile of about 1,000 lines. test/unit/language-server/badInput.test.ts
 * asserts what is reported; this prints how long it takes (median of KPLANE_BENCH_RUNS, default 5).
 */
import { getLanguageService, textDocument } from '@kplane/language-server';
import { billionLaughs, deepNesting, twentyMegabytes } from '../fixtures/hostileYaml.js';
import { generateProfile } from './lspBench.js';

const RUNS = Number(process.env.KPLANE_BENCH_RUNS ?? 5);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Median time of a fresh service validating `text` (a fresh service and URI: nothing cached). */
function measure(text: string): { ms: number; codes: string } {
  const times: number[] = [];
  let codes = '';
  for (let run = -1; run < RUNS; run++) {
    const service = getLanguageService();
    const document = textDocument(`file:///bench/bad-${run}.profile.yaml`, `# ${run}\n${text}`);
    const started = performance.now();
    const diagnostics = service.doValidation(document);
    if (run >= 0) times.push(performance.now() - started);
    codes = [...new Set(diagnostics.map((d) => d.code))].join(',');
  }
  return { ms: median(times), codes };
}

function main(): void {
  const baseline = measure(generateProfile(1000, 'bad-input baseline'));
  const nesting = deepNesting();
  const cases: [string, string][] = [
    ['alias bomb (9^9 nodes)', billionLaughs()],
    ['10,000 levels, flow lists', nesting.flow],
    ['10,000 levels, flow mappings', nesting.mapping],
    ['10,000 levels, block lists', nesting.block],
    ['20 MB file', twentyMegabytes(generateProfile(100, 'bad-input 20 MB'))],
  ];
  console.log(`bench:bad-input — median of ${RUNS} runs; baseline: a valid 1,000-line profile, ${baseline.ms.toFixed(1)} ms (${baseline.codes || 'no'} findings)`);
  console.log('input                            time        ratio to baseline   reported');
  for (const [name, text] of cases) {
    const m = measure(text);
    console.log(`${name.padEnd(32)} ${`${m.ms.toFixed(1)} ms`.padStart(10)} ${`${(m.ms / baseline.ms).toFixed(2)}×`.padStart(12)}        ${m.codes}`);
  }
}

if (process.argv[1]?.endsWith('badInputBench.js')) main();
