/**
 * Completion inside manifests: field names with their type and documentation, and enum values,
 * from the schema of the manifest's kind: built in, a CustomResourceDefinition of the profile,
 * or a target cluster's live API (a kind only that cluster serves).
 */
import { strict as assert } from 'node:assert';
import type { CompletionItem, MarkupContent } from 'vscode-languageserver-types';
import { builtinKubeTypes } from '@kplane/language-server/kube-schemas';
import { getLanguageService, textDocument, type LiveTarget } from '@kplane/language-server';
import { groupVersionSchemasOf, KubeTypes, liveSchemaData, servedKindsOf } from '@kplane/profile';
import { profileWithManifests } from './helpers.js';

const URI = 'file:///work/complete.profile.yaml';

const profile = (manifests: string): string => profileWithManifests('complete', manifests);

/** Completion where `|` stands in the text (removed first). */
function completeAt(textWithCursor: string, liveTargets?: LiveTarget[]): CompletionItem[] {
  const offset = textWithCursor.indexOf('|');
  assert.ok(offset >= 0, 'the text has no | for the cursor');
  const text = textWithCursor.slice(0, offset) + textWithCursor.slice(offset + 1);
  const document = textDocument(URI, text);
  const service = getLanguageService({ kubeTypes: builtinKubeTypes, liveTargets: liveTargets ? () => liveTargets : undefined });
  return service.doComplete(document, document.positionAt(offset)).items;
}

const labels = (items: CompletionItem[]) => items.map((i) => i.label);
const doc = (item: CompletionItem | undefined) => (item?.documentation as MarkupContent | undefined)?.value ?? '';

/** A live cluster serving only example.com/v1 Gadget (a CRD the profile does not carry). */
function gadgetCluster(): KubeTypes {
  const served = servedKindsOf({
    items: [{ metadata: { name: 'example.com' }, versions: [{ version: 'v1', resources: [{ resource: 'gadgets', responseKind: { kind: 'Gadget' }, scope: 'Namespaced', verbs: ['create'] }] }] }],
  });
  const document = {
    components: {
      schemas: {
        'com.example.v1.Gadget': {
          type: 'object',
          'x-kubernetes-group-version-kind': [{ group: 'example.com', version: 'v1', kind: 'Gadget' }],
          properties: { spec: { type: 'object', properties: { mode: { type: 'string', enum: ['fast', 'slow'], description: 'How the gadget runs.' }, count: { type: 'integer' } } } },
        },
      },
    },
  };
  return new KubeTypes(liveSchemaData('v1.35.2', served, new Map([['example.com/v1', groupVersionSchemasOf('example.com/v1', document)]])));
}

describe('completion inside manifests', () => {
  it('field names of a built-in kind at the cursor, with type, required and documentation; present ones left out', () => {
    const items = completeAt(
      profile(`
- apiVersion: apps/v1
  kind: Deployment
  metadata: { name: web }
  spec:
    replicas: 2
    |`),
    );
    const names = labels(items);
    for (const name of ['selector', 'template', 'strategy', 'revisionHistoryLimit', 'minReadySeconds']) assert.ok(names.includes(name), `${name} missing from ${names.join(', ')}`);
    assert.ok(!names.includes('replicas'), 'replicas is already there');
    assert.ok(!names.includes('containers'), 'containers belongs to the pod spec, not the Deployment spec');
    const selector = items.find((i) => i.label === 'selector')!;
    assert.equal(selector.detail, 'mapping (required)');
    assert.match(doc(selector), /^Label selector for pods\./);
    assert.match(doc(selector), /_Deployment apps\/v1, Kubernetes v1\.36\.3\._$/);
    assert.equal(items.find((i) => i.label === 'revisionHistoryLimit')!.detail, 'integer');
    // A mapping opens an indented block under the key (indented further by the client, to the key's line).
    assert.equal(selector.insertText, 'selector:\n  $0');
    assert.equal(selector.insertTextMode, 2 /* adjustIndentation */);
  });

  it('deep in the pod template, in a new list item: container fields; a list of objects opens an item', () => {
    const items = completeAt(
      profile(`
- apiVersion: apps/v1
  kind: Deployment
  metadata: { name: web }
  spec:
    template:
      spec:
        containers:
          - |`),
    );
    const names = labels(items);
    for (const name of ['name', 'image', 'ports', 'resources', 'env']) assert.ok(names.includes(name), `${name} missing`);
    assert.equal(items.find((i) => i.label === 'name')!.detail, 'string (required)');
    assert.equal(items.find((i) => i.label === 'ports')!.insertText, 'ports:\n  - $0');
  });

  it('enum values of a field after `key: `', () => {
    const items = completeAt(
      profile(`
- apiVersion: v1
  kind: Service
  metadata: { name: web }
  spec:
    type: |`),
    );
    assert.deepEqual(labels(items).sort(), ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort']);
  });

  it('the top of a manifest: its fields without status', () => {
    const names = labels(
      completeAt(
        profile(`
- apiVersion: v1
  kind: ConfigMap
  metadata: { name: c }
  |`),
      ),
    );
    assert.deepEqual(names.filter((n) => ['data', 'binaryData', 'immutable'].includes(n)).sort(), ['binaryData', 'data', 'immutable']);
    assert.ok(!names.includes('kind') && !names.includes('apiVersion'), 'present fields are not offered again');
  });

  it('a custom resource of a CRD in the profile: its schema\'s fields and enum values', () => {
    const crd = `
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
                  size: { type: integer }`;
    const keys = completeAt(profile(`${crd}\n- apiVersion: example.com/v1\n  kind: Widget\n  metadata: { name: w }\n  spec:\n    |`));
    assert.deepEqual(labels(keys).sort(), ['color', 'size']);
    assert.match(doc(keys.find((i) => i.label === 'color')), /^The colour\.\n\nOne of: `red`, `blue`\n\n_Widget example\.com\/v1, CustomResourceDefinition widgets\.example\.com\._$/);
    const values = completeAt(profile(`${crd}\n- apiVersion: example.com/v1\n  kind: Widget\n  metadata: { name: w }\n  spec:\n    color: |`));
    assert.deepEqual(labels(values), ['red', 'blue']);
  });

  it('a kind only a target cluster serves: completed from that cluster\'s live schema', () => {
    const text = profile(`
- apiVersion: example.com/v1
  kind: Gadget
  metadata: { name: g }
  spec:
    mode: |`);
    assert.deepEqual(labels(completeAt(text)), [], 'nothing without the target');
    const target: LiveTarget = { name: 'eu-prod-1', state: 'live', kube: gadgetCluster() };
    assert.deepEqual(labels(completeAt(text, [target])), ['fast', 'slow']);
    const keys = completeAt(text.replace('mode: |', '|'), [target]);
    assert.deepEqual(labels(keys).sort(), ['count', 'mode']);
    assert.match(doc(keys.find((i) => i.label === 'mode')), /Kubernetes v1\.35\.2 \(live cluster\)/);
  });

  it('an unknown kind or a manifest without a kind yet offers no made-up fields', () => {
    assert.deepEqual(labels(completeAt(profile(`\n- apiVersion: example.com/v1\n  kind: Nothing\n  spec:\n    |`))), []);
    const names = labels(completeAt(profile(`\n- apiVersion: apps/v1\n  |`)));
    assert.ok(!names.includes('replicas'), names.join(', '));
  });
});
