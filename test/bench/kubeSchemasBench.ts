/**
 * `node test/out/bench/kubeSchemasBench.js` (after npm run build): what the built-in Kubernetes
 * schemas cost. (1) Decoding them (brotli + JSON.parse, on the first profile with manifests), in
 * fresh processes. (2) The language server's start (spawn → initialize answered) with the data
 * module in the bundle against the same bundle with the data emptied, in the same run: the data
 * is only decoded on first use, so start must not grow. Medians; numbers only, not a test.
 *
 *   KPLANE_BENCH_RUNS=9   processes per measurement
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync } from 'node:zlib';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { repoRoot } from '../fixtures/paths.js';

const RUNS = Number(process.env.KPLANE_BENCH_RUNS ?? 9);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Decode time of the built-in schemas in a fresh process (import of the loader excluded). */
function decodeOnce(): { ms: number; kinds: number } {
  const loader = join(repoRoot, 'language-server', 'out', 'kubeSchemaLoader.js');
  const script = `const m = await import(${JSON.stringify(loader)}); const t = performance.now(); const k = m.builtinKubeTypes(); const ms = performance.now() - t; console.log(JSON.stringify({ ms, kinds: Object.values(k.data.groupVersions).reduce((n, g) => n + Object.keys(g).length, 0) }));`;
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(out.stderr);
  return JSON.parse(out.stdout) as { ms: number; kinds: number };
}

/** spawn → initialize answered, for one server bundle. */
async function startOnce(bundle: string): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, [bundle, '--stdio'], { stdio: ['pipe', 'pipe', 'ignore'] });
  const connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  connection.listen();
  await connection.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
  const ms = performance.now() - started;
  connection.dispose();
  child.kill();
  return ms;
}

async function main(): Promise<void> {
  const decodes = Array.from({ length: RUNS }, decodeOnce);
  const kinds = decodes[0].kinds;
  const bundle = join(repoRoot, 'dist', 'server.js');
  const text = readFileSync(bundle, 'utf8');
  const dir = mkdtempSync(join(tmpdir(), 'kplane-kube-schemas-bench-'));
  try {
    // The same bundle without the data: its base64 string replaced by that of an empty API.
    const empty = brotliCompressSync(Buffer.from(JSON.stringify({ kubernetes: 'v0.0.0', groupVersions: {}, schemas: {} }))).toString('base64');
    const stripped = text.replace(/(KUBE_SCHEMAS_BROTLI_BASE64\s*=\s*)"[A-Za-z0-9+/=]+"/, `$1"${empty}"`).replace(/(KUBE_SCHEMAS_BROTLI_BASE64\s*=\s*)'[A-Za-z0-9+/=]+'/, `$1'${empty}'`);
    if (stripped === text) throw new Error('could not find the schema data in dist/server.js: run npm run build');
    const without = join(dir, 'server-without-schemas.cjs');
    writeFileSync(without, stripped);
    const withData: number[] = [];
    const withoutData: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      // Alternate, so load on the machine hits both alike.
      withData.push(await startOnce(bundle));
      withoutData.push(await startOnce(without));
    }
    const a = median(withData);
    const b = median(withoutData);
    console.log(`kube schemas bench — ${RUNS} processes per median, node ${process.version}`);
    console.log(`decode built-in schemas (${kinds} kinds, on first use): ${median(decodes.map((d) => d.ms)).toFixed(1)} ms`);
    console.log(`server start → initialize: ${a.toFixed(0)} ms with the schema data in the bundle, ${b.toFixed(0)} ms without (ratio ${(a / b).toFixed(2)}×)`);
    console.log(`bundle size: ${(text.length / 1024).toFixed(0)} kB with, ${(stripped.length / 1024).toFixed(0)} kB without`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`kube schemas bench failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
