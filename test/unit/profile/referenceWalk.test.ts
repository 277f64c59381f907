/**
 * The `${…}` reference walk of semanticCheck.ts (recursive on one path, iterative past a depth):
 * every reference in a manifest is found once, in document order, on its exact path and span,
 * at any nesting depth.
 */
import { strict as assert } from 'node:assert';
import { validateProfile } from '@kplane/profile';

/** A ConfigMap-like object with references at the top, in a list, and `depth` levels down. */
function manifest(depth: number): Record<string, unknown> {
  let deep: unknown = { leaf: 'a ${deepVar} b', other: 'no reference', n: 3 };
  for (let i = 0; i < depth; i++) deep = i % 2 ? { next: deep, text: `level ${i}` } : [deep, 'plain'];
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'm', labels: { a: '${firstVar}' } },
    data: { list: ['x', { y: '$${escaped} ${secondVar}' }], deep, last: '${thirdVar}${fourthVar}' },
  };
}

/** The path down to the leaf, as the manifest above builds it. */
function deepPath(depth: number): (string | number)[] {
  const segments: (string | number)[] = [];
  for (let i = depth - 1; i >= 0; i--) segments.push(i % 2 ? 'next' : 0);
  return [...segments, 'leaf'];
}

describe('variable references in manifests', () => {
  for (const depth of [0, 5, 199, 200, 201, 350]) {
    it(`finds every reference once, in document order, with its path and span (nesting ${depth})`, () => {
      const doc = {
        apiVersion: 'kplane.dev/v1alpha1',
        kind: 'ClusterProfile',
        metadata: { name: 'p' },
        spec: { version: '1.0.0', layers: [{ name: 'l', namespace: 'default', manifests: [manifest(depth)] }] },
      };
      const found = validateProfile(doc)
        .filter((f) => f.code === 'UNDECLARED_VARIABLE')
        .map((f) => [f.data?.variable, f.path.join('.'), f.span?.start, f.span?.end]);
      const at = ['spec', 'layers', 0, 'manifests', 0];
      assert.deepEqual(found, [
        ['firstVar', [...at, 'metadata', 'labels', 'a'].join('.'), 0, 11],
        ['secondVar', [...at, 'data', 'list', 1, 'y'].join('.'), 12, 24],
        ['deepVar', [...at, 'data', 'deep', ...deepPath(depth)].join('.'), 2, 12],
        ['thirdVar', [...at, 'data', 'last'].join('.'), 0, 11],
        ['fourthVar', [...at, 'data', 'last'].join('.'), 11, 23],
      ]);
    });
  }
});
