/** Shared by the language-server unit tests: a valid profile to break, and range helpers. */
import { strict as assert } from 'node:assert';
import type { Diagnostic, Range } from 'vscode-languageserver-types';
import type { YamlNode } from '@kplane/language-server';
import { getLanguageService, textDocument, type LanguageServiceOptions } from '@kplane/language-server';

export const VALID = `apiVersion: kplane.dev/v1alpha1
kind: ClusterProfile
metadata:
  name: edge
spec:
  version: 1.4.0
  reconcile:
    mode: enforce
    interval: 10m
  variables:
    - name: replicas
      type: integer
      default: 2
      minimum: 1
      maximum: 20
    - name: image
      type: string
      default: nginx:1.27
  values:
    replicas: 3
  layers:
    - name: base
      manifests:
        - apiVersion: v1
          kind: Namespace
          metadata:
            name: web
        - apiVersion: v1
          kind: ConfigMap
          metadata:
            name: queue
            namespace: web
          data:
            depth: "0"
    - name: web
      dependsOn: [base]
      namespace: web
      manifests:
        - apiVersion: apps/v1
          kind: Deployment
          metadata:
            name: web
          spec:
            replicas: "\${replicas}"
            selector: { matchLabels: { app: web } }
            template:
              metadata: { labels: { app: web } }
              spec:
                containers:
                  - name: web
                    image: "\${image}"
  scaling:
    - name: web
      target: { apiVersion: apps/v1, kind: Deployment, name: web, namespace: web }
      minReplicas: 1
      maxReplicas: 10
      metric:
        type: Object
        object: { apiVersion: v1, kind: ConfigMap, name: queue, namespace: web, fieldPath: .data.depth }
        targetAverageValue: 10
      cooldown: 2m
`;

/** VALID with one exact substring replaced (the substring must occur). */
export function edit(text: string, from: string, to: string): string {
  assert.ok(text.includes(from), `test setup: ${JSON.stringify(from)} is not in the profile`);
  return text.replace(from, to);
}

export function diagnose(text: string, uri = 'file:///work/test.profile.yaml', options: LanguageServiceOptions = {}): Diagnostic[] {
  return getLanguageService(options).doValidation(textDocument(uri, text));
}

/** The range of the n-th occurrence of `needle` (0-based), which must be on one line. */
export function rangeOf(text: string, needle: string, nth = 0, after?: string): Range {
  let at = after === undefined ? -1 : text.indexOf(after);
  assert.ok(at >= 0 || after === undefined, `test setup: ${JSON.stringify(after)} not found`);
  if (after !== undefined) at += after.length - 1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(needle, at + 1);
    assert.ok(at >= 0, `test setup: occurrence ${nth} of ${JSON.stringify(needle)} not found`);
  }
  const doc = textDocument('file:///x', text);
  return { start: doc.positionAt(at), end: doc.positionAt(at + needle.length) };
}

/** Exactly one diagnostic with `code`, on `range`; returns it. */
export function expectOne(diagnostics: Diagnostic[], code: string, range?: Range): Diagnostic {
  const found = diagnostics.filter((d) => d.code === code);
  assert.equal(found.length, 1, `expected one ${code}, got: ${JSON.stringify(diagnostics.map((d) => [d.code, d.range.start.line, d.message]))}`);
  if (range) assert.deepEqual(found[0].range, range, `${code} is on the wrong range: ${found[0].message}`);
  return found[0];
}

export function codes(diagnostics: Diagnostic[]): string[] {
  return diagnostics.map((d) => String(d.code));
}

/** A comparable form of a parse tree: every node's type, offsets and scalar value, in order. */
export function flatten(node: YamlNode | undefined, out: unknown[] = []): unknown[] {
  if (!node) return out;
  if (node.type === 'scalar') out.push(['scalar', node.start, node.end, node.value]);
  else out.push([node.type, node.start, node.end, node.flow ?? false]);
  for (const pair of node.pairs ?? []) {
    flatten(pair.key, out);
    if (pair.value) flatten(pair.value, out);
    else out.push('no value');
  }
  for (const item of node.items ?? []) flatten(item, out);
  return out;
}

/**
 * A ClusterProfile named `name` with one layer (`apps`, namespace `web`) holding `manifests`: a
 * YAML list written at column 0 (a leading newline is dropped), indented into place.
 */
export function profileWithManifests(name: string, manifests: string): string {
  return `apiVersion: kplane.dev/v1alpha1
kind: ClusterProfile
metadata:
  name: ${name}
spec:
  version: 1.0.0
  layers:
    - name: apps
      namespace: web
      manifests:
${manifests.replace(/^\n/, '').split('\n').map((l) => (l ? `        ${l}` : l)).join('\n')}`;
}
