/**
 * `npm run bench:bad-input`: how long the language service takes to answer hostile files with a
 * diagnostic (alias bomb, 10,000 levels of nesting, 20 MB), against a baseline measured in the
 * same run: a valid profile of about 1,000 lines. test/unit/language-server/badInput.test.ts
 * asserts what is reported; this prints how long it takes (median of KPLANE_BENCH_RUNS, default 5).
 *
 * Then the CLI on hostile input, each run a fresh `kplane` process, against `kplane validate` of a
 * valid profile in the same run (Node's start-up and the CLI's loading):
 *   - `kplane validate` of a 20 MB file and a binary file (test/unit/cli-validate.test.ts asserts
 *     FILE_TOO_LARGE and BINARY_CONTENT);
 *   - `kplane status --timeout 2s` with one context on a server that accepts connections and never
 *     answers and one on a closed port (test/unit/extension/statusCli.test.ts asserts both
 *     Unreachable).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@kplane/bed';
import { getLanguageService, textDocument } from '@kplane/language-server';
import { billionLaughs, deepNesting, twentyMegabytes } from '../fixtures/hostileYaml.js';
import { generateProfile } from './lspBench.js';
import { VALID } from '../unit/language-server/helpers.js';

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

/** Milliseconds of one `kplane …` process, start to exit; asynchronous so the hung server keeps accepting. */
function kplaneMs(args: string[], cwd: string): Promise<{ ms: number; code: number | null }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, [join(repoRoot(), 'cli', 'bin', 'kplane.js'), ...args], { cwd, stdio: 'ignore' });
    child.on('close', (code) => resolve({ ms: performance.now() - started, code }));
  });
}

async function cliMedian(args: string[], cwd: string, expect: number): Promise<number> {
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const { ms, code } = await kplaneMs(args, cwd);
    if (code !== expect) throw new Error(`kplane ${args.join(' ')} exited ${code}, not ${expect}`);
    times.push(ms);
  }
  return median(times);
}

async function cli(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kplane-bench-cli-'));
  const sockets: Socket[] = [];
  const hung = createServer((s) => sockets.push(s));
  try {
    writeFileSync(join(dir, 'good.profile.yaml'), VALID);
    writeFileSync(join(dir, 'huge.profile.yaml'), twentyMegabytes(VALID));
    writeFileSync(join(dir, 'image.profile.yaml'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]));
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const closedPort = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const cluster = (name: string, port: number) => `- name: ${name}\n  cluster: { server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true }\n`;
    const context = (name: string) => `- name: ${name}\n  context: { cluster: ${name}, user: u }\n`;
    writeFileSync(
      join(dir, 'kubeconfig'),
      `apiVersion: v1\nkind: Config\nclusters:\n${cluster('hung', (hung.address() as { port: number }).port)}${cluster('closed', closedPort)}users:\n- name: u\n  user: { token: not-a-real-token }\ncontexts:\n${context('hung')}${context('closed')}current-context: hung\n`,
    );
    const baseline = await cliMedian(['validate', 'good.profile.yaml'], dir, 0);
    const cases: [string, string[], number][] = [
      ['validate: 20 MB + binary file', ['validate', 'huge.profile.yaml', 'image.profile.yaml'], 1],
      ['status: hung + closed, 2 s timeout', ['status', '--kubeconfig', 'kubeconfig', '--timeout', '2s', '--output', 'json'], 0],
    ];
    console.log(`\nkplane CLI — median of ${RUNS} processes; baseline: kplane validate of a valid profile (test/unit/language-server/helpers.ts), ${baseline.toFixed(0)} ms`);
    console.log('command                              time        ratio to baseline');
    for (const [name, args, code] of cases) {
      const ms = await cliMedian(args, dir, code);
      console.log(`${name.padEnd(36)} ${`${ms.toFixed(0)} ms`.padStart(8)} ${`${(ms / baseline).toFixed(2)}×`.padStart(12)}`);
    }
  } finally {
    for (const s of sockets) s.destroy();
    hung.close();
    rmSync(dir, { recursive: true, force: true });
  }
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

if (process.argv[1]?.endsWith('badInputBench.js')) {
  main();
  cli().catch((err: unknown) => {
    console.error(`bench:bad-input (CLI) failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  });
}
