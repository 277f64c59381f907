/**
 * Hover and completion inside the items of a `kind: List` (and of a typed list such as
 * ConfigMapList, whose items may leave apiVersion and kind off): each item is a manifest of its
 * own, as validation takes it (@kplane/profile expandManifests, the one expander both use).
 */
import { strict as assert } from 'node:assert';
import type { CompletionItem } from 'vscode-languageserver-types';
import { builtinKubeTypes } from '@kplane/language-server/kube-schemas';
import { getLanguageService, textDocument } from '@kplane/language-server';
import { profileWithManifests } from './helpers.js';

const URI = 'file:///work/list-items.profile.yaml';

const LIST = profileWithManifests(
  'lists',
  `
- apiVersion: v1
  kind: List
  items:
    - apiVersion: apps/v1
      kind: Deployment
      metadata: { name: web }
      spec:
        replicas: 2
        strategy: { type: Recreate }
        |
    - apiVersion: v1
      kind: List
      items:
        - apiVersion: v1
          kind: Service
          metadata: { name: inner }
          spec:
            type: ClusterIP
- apiVersion: v1
  kind: ConfigMapList
  items:
    - metadata: { name: settings }
      immutable: true
- apiVersion: v1
  kind: List
  items:
    - apiVersion: apiextensions.k8s.io/v1
      kind: CustomResourceDefinition
      metadata: { name: widgets.example.com }
      spec:
        group: example.com
        scope: Namespaced
        names: { plural: widgets, kind: Widget }
        versions:
          - name: v1
            served: true
            storage: true
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec:
                    type: object
                    properties:
                      color: { type: string, enum: [red, blue], description: The colour. }
- apiVersion: example.com/v1
  kind: Widget
  metadata: { name: w }
  spec:
    color: red`,
);

const service = getLanguageService({ kubeTypes: builtinKubeTypes });

function hoverAt(needle: string): string | undefined {
  const text = LIST.replace('|', '');
  const document = textDocument(URI, text);
  const offset = text.indexOf(needle);
  assert.ok(offset >= 0, needle);
  const result = service.doHover(document, document.positionAt(offset + 1));
  return (result?.contents as { value: string } | undefined)?.value;
}

/** Completion where `|` stands in `withCursor` (removed first). */
function completeAt(withCursor: string): CompletionItem[] {
  const offset = withCursor.indexOf('|');
  const text = withCursor.slice(0, offset) + withCursor.slice(offset + 1);
  const document = textDocument(URI, text);
  return service.doComplete(document, document.positionAt(offset)).items;
}

describe('hover and completion inside kind: List items', () => {
  it('hover: a field of a List item is described from the item\'s kind', () => {
    assert.match(hoverAt('replicas:') ?? '', /^\*\*replicas\*\* \(`integer`\)\n\nNumber of desired pods\.[\s\S]*_Deployment apps\/v1, Kubernetes v1\.36\.3\._$/);
    assert.match(hoverAt('type: Recreate') ?? '', /One of: `Recreate`, `RollingUpdate`/);
  });

  it('hover: an item of a List inside a List, and of a typed list whose items omit apiVersion and kind', () => {
    assert.match(hoverAt('type: ClusterIP') ?? '', /_Service v1, Kubernetes v1\.36\.3\._$/);
    assert.match(hoverAt('immutable: true') ?? '', /^\*\*immutable\*\* \(`boolean`\)[\s\S]*_ConfigMap v1, Kubernetes v1\.36\.3\._$/);
  });

  it('hover: a CRD inside a List makes its kind known, as validation does', () => {
    assert.match(hoverAt('color: red') ?? '', /_Widget example\.com\/v1, CustomResourceDefinition widgets\.example\.com\._$/);
  });

  it('completion: field names of the List item\'s kind at the cursor, present ones left out', () => {
    const names = completeAt(LIST).map((i) => i.label);
    for (const name of ['selector', 'template', 'revisionHistoryLimit']) assert.ok(names.includes(name), `${name} missing from ${names.join(', ')}`);
    assert.ok(!names.includes('replicas'), 'replicas is already there');
    assert.ok(!names.includes('items'), 'not the fields of the List');
  });

  it('completion: values in a nested List item and field names in a typed list item without apiVersion and kind', () => {
    const values = completeAt(LIST.replace('|', '').replace('type: ClusterIP', 'type: |')).map((i) => i.label);
    assert.deepEqual(values.sort(), ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort']);
    const fields = completeAt(LIST.replace('|', '').replace('  immutable: true\n', '  immutable: true\n              |\n')).map((i) => i.label);
    for (const name of ['data', 'binaryData']) assert.ok(fields.includes(name), `${name} missing from ${fields.join(', ')}`);
    assert.ok(!fields.includes('immutable'));
  });
});
