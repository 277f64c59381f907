/**
 * `node test/out/bench/liveSchemasBench.js` (after npm run build): what one live schema set of a
 * cluster with 50 CRDs costs (profile/src/liveSchemas.ts): reading 50 OpenAPI v3 group/version
 * documents of real-shaped CRDs (deep schemas, long descriptions) into a KubeTypes, its heap, and
 * validating the real-shaped 10k-line profile with no target, 1 target and 1,000 targets sharing
 * that set, in the same run. Medians; numbers only, not a test. Run with --expose-gc for heap.
 *
 *   KPLANE_BENCH_RUNS=5   runs per measurement
 */
import { builtinKubeTypes } from '@kplane/language-server/kube-schemas';
import { getLanguageService, textDocument } from '@kplane/language-server';
import { groupVersionSchemasOf, KubeTypes, liveSchemaData, type GroupVersionSchemas, type ServedKinds } from '@kplane/profile';
import { realShapedProfile } from './realShapedProfile.js';

const RUNS = Number(process.env.KPLANE_BENCH_RUNS ?? 5);
const CRDS = 50;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** A CRD's published schema: nested objects with long descriptions, as operators' CRDs have. */
function crdSchema(depth: number, width: number): Record<string, unknown> {
  const description = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. '.repeat(2);
  if (depth === 0) return { type: 'string', description, enum: ['a', 'b', 'c'] };
  const properties: Record<string, unknown> = {};
  for (let i = 0; i < width; i++) properties[`field${i}`] = i % 3 === 0 ? { type: 'array', description, items: crdSchema(depth - 1, width) } : crdSchema(depth - 1, width);
  return { type: 'object', description, properties, required: ['field0'] };
}

function documents(): { served: ServedKinds; docs: Map<string, unknown> } {
  const served: ServedKinds = {};
  const docs = new Map<string, unknown>();
  for (let i = 0; i < CRDS; i++) {
    const gv = `group${i}.example.com/v1`;
    served[gv] = { [`Kind${i}`]: 'Namespaced' };
    docs.set(gv, {
      openapi: '3.0.0',
      components: {
        schemas: {
          [`com.example.group${i}.v1.Kind${i}`]: {
            type: 'object',
            'x-kubernetes-group-version-kind': [{ group: `group${i}.example.com`, version: 'v1', kind: `Kind${i}` }],
            properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }] }, spec: crdSchema(4, 5), status: crdSchema(2, 5) },
          },
        },
      },
    });
  }
  return { served, docs };
}

function build(served: ServedKinds, raw: Map<string, unknown>): KubeTypes {
  const builtin = builtinKubeTypes().data;
  const all: ServedKinds = { ...served };
  const read = new Map<string, GroupVersionSchemas>();
  for (const [gv, kinds] of Object.entries(builtin.groupVersions)) {
    all[gv] = Object.fromEntries(Object.entries(kinds).map(([k, [scope]]) => [k, scope]));
    read.set(gv, { kinds: Object.fromEntries(Object.entries(kinds).map(([k, [, def]]) => [k, def])), schemas: builtin.schemas, problems: [] });
  }
  for (const [gv, doc] of raw) read.set(gv, groupVersionSchemasOf(gv, doc));
  return new KubeTypes(liveSchemaData(builtin.kubernetes, all, read));
}

function heapMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

function main(): void {
  builtinKubeTypes();
  const { served, docs } = documents();
  const json = JSON.stringify([...docs.values()]);
  console.log(`50 CRD group/version documents: ${(json.length / 1024 / 1024).toFixed(1)} MB of JSON`);
  const times: number[] = [];
  let kube: KubeTypes | undefined;
  for (let i = 0; i < RUNS; i++) {
    const parsed = new Map([...docs.keys()].map((gv, n) => [gv, (JSON.parse(json) as unknown[])[n]] as const));
    const started = performance.now();
    kube = build(served, parsed);
    times.push(performance.now() - started);
  }
  const before = heapMb();
  let kept: KubeTypes | undefined = build(served, docs);
  const after = heapMb();
  console.log(`schema set of a cluster with 50 CRDs (built-in API + 50 documents read and trimmed): ${median(times).toFixed(0)} ms median of ${RUNS}, heap +${(after - before).toFixed(1)} MB`);
  kept = undefined;
  void kept;

  const text = realShapedProfile(10_000, 'live');
  const measure = (targets: { name: string; kube: KubeTypes }[] | undefined) => {
    const ms: number[] = [];
    let count = 0;
    for (let i = 0; i < RUNS; i++) {
      const service = getLanguageService({ kubeTypes: builtinKubeTypes, targets });
      const started = performance.now();
      count = service.doValidation(textDocument(`file:///bench-${i}.profile.yaml`, text)).length;
      ms.push(performance.now() - started);
    }
    return { ms: median(ms), count };
  };
  // Warm-up (JIT, the built-in set's CRD cache), so the first measurement is not the slow one.
  measure([{ name: 'warm-up', kube: kube! }]);
  const none = measure(undefined);
  const one = measure([{ name: 'eu-prod-1', kube: kube! }]);
  const many = measure(Array.from({ length: 1000 }, (_, i) => ({ name: `edge-${i}`, kube: kube! })));
  console.log(`validate the real-shaped 10k-line profile (open, in process): built-in only ${none.ms.toFixed(0)} ms; + 1 live target ${one.ms.toFixed(0)} ms (${(one.ms / none.ms).toFixed(2)}x); + 1,000 targets sharing that set ${many.ms.toFixed(0)} ms (${(many.ms / none.ms).toFixed(2)}x)`);
}

main();
