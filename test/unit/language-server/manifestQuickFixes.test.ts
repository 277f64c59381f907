/**
 * Quick fixes inside manifests, on exact ranges: a misspelt field and a removed apiVersion
 * against the built-in API, and the same fixes for findings that hold on one target cluster only
 * ("On cluster eu-prod-1: …"), whose message names the cluster but whose data is the same.
 */
import { strict as assert } from 'node:assert';
import type { CodeAction, Diagnostic } from 'vscode-languageserver-types';
import { builtinKubeTypes } from '@kplane/language-server/kube-schemas';
import { getLanguageService, textDocument, type LiveTarget } from '@kplane/language-server';
import { groupVersionSchemasOf, KubeTypes, liveSchemaData, servedKindsOf } from '@kplane/profile';
import { profileWithManifests } from './helpers.js';

const URI = 'file:///work/fixes.profile.yaml';

const profile = (manifest: string): string => profileWithManifests('fixes', manifest);

/** A cluster serving example.com/v1 Widget (spec.color), and nothing else. */
function widgetCluster(): KubeTypes {
  const served = servedKindsOf({ items: [{ metadata: { name: 'example.com' }, versions: [{ version: 'v1', resources: [{ resource: 'widgets', responseKind: { kind: 'Widget' }, scope: 'Namespaced', verbs: ['create'] }] }] }] });
  const document = {
    components: {
      schemas: {
        'com.example.v1.Widget': {
          type: 'object',
          'x-kubernetes-group-version-kind': [{ group: 'example.com', version: 'v1', kind: 'Widget' }],
          properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, spec: { type: 'object', properties: { color: { type: 'string' } } } },
        },
      },
    },
  };
  return new KubeTypes(liveSchemaData('v1.36.3', served, new Map([['example.com/v1', groupVersionSchemasOf('example.com/v1', document)]])));
}

function fixesOf(text: string, code: string, targets?: LiveTarget[]): { diagnostic: Diagnostic; actions: CodeAction[] } {
  const service = getLanguageService({ kubeTypes: builtinKubeTypes, liveTargets: targets ? () => targets : undefined });
  const document = textDocument(URI, text);
  const diagnostic = service.doValidation(document).find((d) => d.code === code);
  assert.ok(diagnostic, `no ${code}`);
  return { diagnostic, actions: service.getCodeActions(document, diagnostic.range, [diagnostic]) };
}

/** The one edit of the one action: its range as [line, from, to] and its text. */
function onlyEdit(actions: CodeAction[]): { at: [number, number, number]; newText: string; title: string } {
  assert.equal(actions.length, 1, JSON.stringify(actions));
  const edits = actions[0].edit?.changes?.[URI] ?? [];
  assert.equal(edits.length, 1);
  const { start, end } = edits[0].range;
  assert.equal(start.line, end.line);
  return { at: [start.line, start.character, end.character], newText: edits[0].newText, title: actions[0].title };
}

describe('quick fixes inside manifests, on exact ranges', () => {
  it('a misspelt Deployment field: the key alone is replaced', () => {
    const text = profile(`
- apiVersion: apps/v1
  kind: Deployment
  metadata: { name: web }
  spec:
    revisionHistroyLimit: 3
    selector: { matchLabels: { app: web } }
    template:
      metadata: { labels: { app: web } }
      spec:
        containers: [{ name: web, image: nginx }]`);
    const { actions } = fixesOf(text, 'MANIFEST_UNKNOWN_FIELD');
    // Line 14: `            revisionHistroyLimit: 3`, the key at columns 12-32.
    assert.deepEqual(onlyEdit(actions), { at: [14, 12, 32], newText: 'revisionHistoryLimit', title: 'Change "revisionHistroyLimit" to "revisionHistoryLimit"' });
  });

  it('a removed apiVersion: the value alone is replaced by the one that serves the kind', () => {
    const text = profile(`
- apiVersion: policy/v1beta1
  kind: PodDisruptionBudget
  metadata: { name: web }
  spec:
    minAvailable: 1
    selector: { matchLabels: { app: web } }`);
    const { diagnostic, actions } = fixesOf(text, 'API_REMOVED');
    assert.deepEqual(diagnostic.range, { start: { line: 10, character: 22 }, end: { line: 10, character: 36 } });
    assert.deepEqual(onlyEdit(actions), { at: [10, 22, 36], newText: 'policy/v1', title: 'Change apiVersion to policy/v1' });
  });

  it('a removed apiVersion in quotes: the quoted scalar is replaced, quotes and all', () => {
    const text = profile(`
- apiVersion: "extensions/v1beta1"
  kind: Ingress
  metadata: { name: web }`);
    assert.deepEqual(onlyEdit(fixesOf(text, 'API_REMOVED').actions), { at: [10, 22, 42], newText: 'networking.k8s.io/v1', title: 'Change apiVersion to networking.k8s.io/v1' });
  });

  it('a misspelt field of a kind only one target serves: the finding names the cluster, the fix is the same', () => {
    const text = profile(`
- apiVersion: example.com/v1
  kind: Widget
  metadata: { name: w }
  spec:
    colr: red`);
    const targets: LiveTarget[] = [{ name: 'eu-prod-1', state: 'live', kube: widgetCluster() }];
    const { diagnostic, actions } = fixesOf(text, 'MANIFEST_UNKNOWN_FIELD', targets);
    assert.match(String(diagnostic.message), /^On cluster eu-prod-1: Widget has no field "colr"/);
    assert.deepEqual(onlyEdit(actions), { at: [14, 12, 16], newText: 'color', title: 'Change "colr" to "color"' });
  });

  it('a version a target cluster does not serve: the apiVersion it serves the kind at', () => {
    const text = profile(`
- apiVersion: example.com/v1beta1
  kind: Widget
  metadata: { name: w }`);
    const targets: LiveTarget[] = [{ name: 'eu-prod-1', state: 'live', kube: widgetCluster() }];
    const { diagnostic, actions } = fixesOf(text, 'KIND_NOT_SERVED', targets);
    assert.match(String(diagnostic.message), /^On cluster eu-prod-1: /);
    assert.deepEqual(onlyEdit(actions), { at: [10, 22, 41], newText: 'example.com/v1', title: 'Change apiVersion to example.com/v1' });
  });
});
