/**
 * What a Helm layer renders, checked against the target clusters' live APIs as the profile's own
 * manifests are (language-server/src/service/helmRendered.ts renderedObjectFindings, used by the
 * editor and `kplane validate --context`): a custom resource whose CRD one cluster lacks is not
 * served on exactly that one, a finding of some targets names them first, one of every target is
 * reported once, and a CRD in another layer of the profile makes the kind known. Every finding
 * sits on the layer's `helm` key (rendered objects have no place in the profile's text) and names
 * the chart, the object and its template.
 */
import { strict as assert } from 'node:assert';
import type { Diagnostic } from 'vscode-languageserver-types';
import { getLanguageService, renderedObjectFindings, textDocument, type ChartFacts, type HelmChartProvider, type RenderedChart, type RenderLookup } from '@kplane/language-server';
import { builtinKubeTypes } from '@kplane/language-server/kube-schemas';
import { customKindsOf, groupVersionSchemasOf, KubeTypes, liveSchemaData, servedKindsOf, type Finding, type SchemaTarget } from '@kplane/profile';
import { expectOne, rangeOf } from './helpers.js';

/** example.com/v1 Widget as a cluster with its CRD serves it (discovery and OpenAPI v3). */
const widgetDiscovery = {
  items: [{ metadata: { name: 'example.com' }, versions: [{ version: 'v1', resources: [{ resource: 'widgets', responseKind: { group: 'example.com', version: 'v1', kind: 'Widget' }, scope: 'Namespaced', verbs: ['create'] }] }] }],
};
const widgetDocument = {
  components: {
    schemas: {
      'com.example.v1.Widget': {
        type: 'object',
        'x-kubernetes-group-version-kind': [{ group: 'example.com', version: 'v1', kind: 'Widget' }],
        properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, spec: { type: 'object', properties: { color: { type: 'string', enum: ['red', 'blue'] } } } },
      },
    },
  },
};

/** A live set: the built-in API as the cluster's own, with or without the Widget CRD. */
function liveTypes(withWidget: boolean, unread: readonly string[] = []): KubeTypes {
  const builtin = builtinKubeTypes().data;
  const served: Record<string, Record<string, 'Namespaced' | 'Cluster'>> = {};
  const documents = new Map<string, ReturnType<typeof groupVersionSchemasOf>>();
  for (const [gv, kinds] of Object.entries(builtin.groupVersions)) {
    served[gv] = Object.fromEntries(Object.entries(kinds).map(([k, [scope]]) => [k, scope]));
    if (!unread.includes(gv)) documents.set(gv, { kinds: Object.fromEntries(Object.entries(kinds).map(([k, [, def]]) => [k, def])), schemas: builtin.schemas, problems: [] });
  }
  if (withWidget) {
    Object.assign(served, servedKindsOf(widgetDiscovery));
    if (!unread.includes('example.com/v1')) documents.set('example.com/v1', groupVersionSchemasOf('example.com/v1', widgetDocument));
  }
  return new KubeTypes(liveSchemaData(builtin.kubernetes, served, documents));
}

const widget = (color: string) => ({ manifest: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'apps' }, spec: { color } } as never, source: 'gadgets/templates/widget.yaml' });
const configMap = { manifest: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'apps' }, dta: { a: 'b' } } as never, source: 'gadgets/templates/config.yaml' };
const chart = (...objects: RenderedChart['objects']): RenderedChart => ({ chart: 'gadgets', version: '1.0.0', objects });
const HELM = ['spec', 'layers', 0, 'helm'];

describe('rendered Helm objects against target clusters', () => {
  const withWidget = liveTypes(true);
  const without = liveTypes(false);
  const both: SchemaTarget[] = [
    { name: 'has-crd', kube: withWidget },
    { name: 'no-crd', kube: without },
  ];
  const check = (rendered: RenderedChart, targets?: SchemaTarget[], extra: Partial<Parameters<typeof renderedObjectFindings>[2]> = {}): Finding[] => renderedObjectFindings(rendered, HELM, { kube: builtinKubeTypes(), targets, ...extra });

  it('a custom resource whose CRD one cluster lacks: not served on exactly that one, checked against the schema of the other', () => {
    const found = check(chart(widget('green')), both);
    // One code on the layer; the check's own code is data.rule, for tools (and in brackets, for people).
    assert.deepEqual(found.map((f) => [f.code, f.severity, f.data?.rule]), [['HELM_RENDERED_OBJECT', 'error', 'MANIFEST_INVALID_ENUM_VALUE'], ['HELM_RENDERED_OBJECT', 'error', 'KIND_NOT_SERVED_ON_CLUSTER']]);
    assert.match(found[0].message, /^On cluster has-crd: Chart gadgets 1\.0\.0 renders Widget apps\/w \(gadgets\/templates\/widget\.yaml\): spec\.color: Widget spec\.color is "green"; it must be one of red, blue.* \[MANIFEST_INVALID_ENUM_VALUE\]$/);
    assert.match(found[1].message, /^On cluster no-crd: Chart gadgets 1\.0\.0 renders Widget apps\/w \(gadgets\/templates\/widget\.yaml\): kind: Widget example\.com\/v1 is not served there .*\[KIND_NOT_SERVED_ON_CLUSTER\]$/);
    for (const f of found) assert.deepEqual([f.path, f.on], [HELM, 'key']);
  });

  it('without targets the custom resource is only noted as not checked, as before', () => {
    const found = check(chart(widget('green')));
    assert.equal(found.length, 1);
    assert.equal(found[0].severity, 'information');
    assert.match(found[0].message, /^Chart gadgets 1\.0\.0 renders Widget apps\/w .*\[MANIFEST_KIND_UNKNOWN\]$/);
  });

  it('a finding of every target is reported once, without a place; clusters sharing a set are named together', () => {
    const once = check(chart(configMap), both);
    assert.equal(once.length, 1, JSON.stringify(once));
    assert.match(once[0].message, /^Chart gadgets 1\.0\.0 renders ConfigMap apps\/c \(gadgets\/templates\/config\.yaml\): dta: ConfigMap has no field "dta": did you mean "data"\?/);
    const shared = check(chart(widget('red')), [{ name: 'a', kube: withWidget }, { name: 'b1', kube: without }, { name: 'b2', kube: without }]);
    assert.deepEqual(shared.map((f) => f.message.split(':')[0]), ['On clusters b1, b2']);
  });

  it('a set that serves the kind but has not read its group/version (the editor reads those the text names) is left out for it', () => {
    const deployment = { manifest: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'apps' }, spec: { replica: 1, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'c' }] } } } } as never, source: 'gadgets/templates/d.yaml' };
    const targets = [{ name: 'has-crd', kube: liveTypes(true, ['apps/v1', 'example.com/v1']) }, { name: 'no-crd', kube: without }];
    const found = check(chart(deployment, widget('green')), targets);
    // Not "In built-in Kubernetes …: …": no-crd read apps/v1 and agrees; has-crd could not tell.
    assert.deepEqual(found.map((f) => f.message.replace(/ \(gadgets.*?\): /, ': ').replace(/^(.*?: kind): .*\[/, '$1: … [')), [
      'Chart gadgets 1.0.0 renders Deployment apps/d: spec.replica: Deployment has no field "replica" in spec: did you mean "replicas"? [MANIFEST_UNKNOWN_FIELD]',
      'On cluster no-crd: Chart gadgets 1.0.0 renders Widget apps/w: kind: … [KIND_NOT_SERVED_ON_CLUSTER]',
    ]);
  });

  it('a CRD in a layer of the profile makes the kind known on every target', () => {
    const crd = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.example.com' }, spec: { group: 'example.com', scope: 'Namespaced', names: { kind: 'Widget', plural: 'widgets' }, versions: [{ name: 'v1', served: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { color: { type: 'string' } } } } } } }] } };
    assert.deepEqual(check(chart(widget('red')), both, { customKinds: customKindsOf([crd]) }), []);
  });

  describe('in the language service (the editor, and kplane validate)', () => {
    const facts: ChartFacts = { name: 'gadgets', version: '1.0.0', values: {}, docs: {}, subcharts: [] };
    const provider = (rendered: RenderedChart): HelmChartProvider => ({
      chart: () => ({ state: 'ready', chart: facts }),
      versions: () => ({ state: 'fetching' }),
      rendered: (): RenderLookup => ({ state: 'ready', rendered }),
    });
    const text = (extraLayer = '') => `apiVersion: kplane.dev/v1alpha1
kind: ClusterProfile
metadata:
  name: gadgets
spec:
  version: 1.0.0
  layers:
${extraLayer}    - name: gadgets
      namespace: apps
      helm:
        repo: https://charts.example
        chart: gadgets
        version: 1.0.0
`;
    const diagnose = (source: string, targets?: SchemaTarget[]): Diagnostic[] => getLanguageService({ helmCharts: provider(chart(widget('red'))), kubeTypes: builtinKubeTypes, targets }).doValidation(textDocument('file:///w/gadgets.profile.yaml', source));

    it("the document's targets reach the rendered objects: not served on the one without the CRD, on the layer's helm key", () => {
      const source = text();
      const d = expectOne(diagnose(source, both), 'HELM_RENDERED_OBJECT', rangeOf(source, 'helm'));
      assert.match(String(d.message), /^On cluster no-crd: Chart gadgets 1\.0\.0 renders Widget apps\/w \(gadgets\/templates\/widget\.yaml\): kind: Widget example\.com\/v1 is not served there/);
      assert.equal(d.severity, 1);
      assert.equal((d.data as { rule?: string }).rule, 'KIND_NOT_SERVED_ON_CLUSTER');
    });

    it("another chart's CRD makes the kind known: nothing to report on either cluster", () => {
      const crd = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.example.com' }, spec: { group: 'example.com', scope: 'Namespaced', names: { kind: 'Widget', plural: 'widgets' }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] } };
      const byChart: Record<string, RenderedChart> = { 'widget-crds': { chart: 'widget-crds', version: '1.0.0', objects: [{ manifest: crd as never, source: 'widget-crds/crds/widgets.yaml' }] }, gadgets: chart(widget('red')) };
      const two: HelmChartProvider = {
        chart: (ref) => ({ state: 'ready', chart: { ...facts, name: ref.chart } }),
        versions: () => ({ state: 'fetching' }),
        rendered: (request): RenderLookup => ({ state: 'ready', rendered: byChart[request.ref.chart] }),
      };
      const source = text(`    - name: crds
      helm:
        repo: https://charts.example
        chart: widget-crds
        version: 1.0.0
`);
      const found = getLanguageService({ helmCharts: two, kubeTypes: builtinKubeTypes, targets: both }).doValidation(textDocument('file:///w/two.profile.yaml', source));
      assert.deepEqual(found.filter((x) => x.code === 'HELM_RENDERED_OBJECT').map((x) => x.message), []);
    });

    it('the CRD in a manifest layer before the chart: nothing to report', () => {
      const crdLayer = `    - name: crds
      manifests:
        - apiVersion: apiextensions.k8s.io/v1
          kind: CustomResourceDefinition
          metadata: { name: widgets.example.com }
          spec:
            group: example.com
            scope: Namespaced
            names: { kind: Widget, plural: widgets, singular: widget, listKind: WidgetList }
            versions:
              - name: v1
                served: true
                storage: true
                schema: { openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true } }
`;
      const source = text(crdLayer);
      const found = diagnose(source, both).filter((x) => x.code === 'HELM_RENDERED_OBJECT');
      assert.deepEqual(found.map((x) => x.message), []);
    });
  });
});
