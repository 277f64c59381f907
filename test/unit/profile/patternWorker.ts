/**
 * Runs pattern matching for test/unit/profile/pattern.test.ts in a worker thread (one job per
 * message), so that a
 * pattern engine that backtracks (a JavaScript RegExp in place of RE2) makes the test fail at its
 * deadline, naming the pattern, instead of freezing the test process for good.
 */
import { parentPort } from 'node:worker_threads';
import { compilePattern, validateProfile } from '@kplane/profile';
import { checkValues } from '@kplane/media';

export type PatternJob =
  | { op: 'test'; pattern: string; subjects: string[] }
  | { op: 'validate'; doc: unknown; clusterPattern?: string }
  | { op: 'checkValues'; text: string; variables: { name: string; type: 'string'; pattern: string }[] };

function run(job: PatternJob): unknown {
  switch (job.op) {
    case 'test': {
      const compiled = compilePattern(job.pattern);
      return compiled.ok ? { ok: true, results: job.subjects.map((s) => compiled.test(s)) } : { ok: false, problem: compiled.problem };
    }
    case 'validate': {
      const pattern = job.clusterPattern;
      const clusterSchemas = pattern === undefined ? undefined : {
        schemaFor: () => ({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { spec: { type: 'object', properties: { host: { type: 'string', pattern } } } } }),
      };
      return validateProfile(job.doc, clusterSchemas ? { clusterSchemas } : undefined);
    }
    case 'checkValues':
      return checkValues(job.text, { variables: job.variables }).findings;
  }
}

parentPort!.on('message', ({ id, job }: { id: number; job: PatternJob }) => parentPort!.postMessage({ id, result: JSON.parse(JSON.stringify(run(job))) }));
