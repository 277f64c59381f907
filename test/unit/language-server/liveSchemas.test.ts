/**
 * Target clusters' live schemas (profile/src/liveSchemas.ts) and findings per target
 * (profile/src/validation/targetFindings.ts): discovery and OpenAPI documents read without trust
 * (deep, huge, odd shapes), a CRD that only one cluster has, findings common to every target
 * reported once, and clusters sharing one schema set checked once.
 */
import { strict as assert } from 'node:assert';
import type { Diagnostic } from 'vscode-languageserver-types';
import { builtinKubeTypes } from '@kplane/language-server/kube-schemas';
import { getLanguageService, textDocument } from '@kplane/language-server';
import { groupVersionSchemasOf, kubernetesReleaseOf, KubeTypes, liveSchemaData, MAX_SCHEMA_DEPTH, MAX_SCHEMA_NODES, openApiPathsOf, servedKindsOf, type SchemaTarget } from '@kplane/profile';
import { expectOne, rangeOf, profileWithManifests } from './helpers.js';

const URI = 'file:///work/live.profile.yaml';

/** The OpenAPI v3 document a cluster serves for example.com/v1 with the Widget CRD installed. */
const widgetDocument = {
  openapi: '3.0.0',
  components: {
    schemas: {
      'com.example.v1.Widget': {
        type: 'object',
        description: 'A Widget.\n\nMore words.',
        'x-kubernetes-group-version-kind': [{ group: 'example.com', version: 'v1', kind: 'Widget' }],
        properties: {
          apiVersion: { type: 'string' },
          kind: { type: 'string' },
          metadata: { allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }] },
          spec: {
            type: 'object',
            required: ['color'],
            properties: { color: { type: 'string', enum: ['red', 'blue'], description: 'The colour of the widget. Red or blue.' }, size: { type: 'integer' } },
          },
        },
      },
    },
  },
};

/** Aggregated discovery (apidiscovery.k8s.io/v2) listing example.com/v1 Widget. */
const widgetDiscovery = {
  kind: 'APIGroupDiscoveryList',
  items: [{ metadata: { name: 'example.com' }, versions: [{ version: 'v1', resources: [{ resource: 'widgets', responseKind: { group: 'example.com', version: 'v1', kind: 'Widget' }, scope: 'Namespaced', verbs: ['create', 'get', 'list'] }] }] }],
};

/** A live set: the built-in API as that cluster's, plus its CRDs' group/versions. */
function liveTypes(withWidget: boolean): KubeTypes {
  const builtin = builtinKubeTypes().data;
  const served: Record<string, Record<string, 'Namespaced' | 'Cluster'>> = {};
  for (const [gv, kinds] of Object.entries(builtin.groupVersions)) served[gv] = Object.fromEntries(Object.entries(kinds).map(([k, [scope]]) => [k, scope]));
  const documents = new Map<string, ReturnType<typeof groupVersionSchemasOf>>();
  for (const [gv, kinds] of Object.entries(builtin.groupVersions)) documents.set(gv, { kinds: Object.fromEntries(Object.entries(kinds).map(([k, [, def]]) => [k, def])), schemas: builtin.schemas, problems: [] });
  if (withWidget) {
    Object.assign(served, servedKindsOf(widgetDiscovery));
    documents.set('example.com/v1', groupVersionSchemasOf('example.com/v1', widgetDocument));
  }
  return new KubeTypes(liveSchemaData(builtin.kubernetes, served, documents));
}

const profile = (manifests: string): string => profileWithManifests('live', manifests);

const widget = (spec: string) => `
- apiVersion: example.com/v1
  kind: Widget
  metadata: { name: w }
  spec:
${spec}`;

function diagnose(text: string, targets: SchemaTarget[] | undefined): Diagnostic[] {
  return getLanguageService({ kubeTypes: builtinKubeTypes, targets }).doValidation(textDocument(URI, text));
}
const message = (d: Diagnostic) => (typeof d.message === 'string' ? d.message : d.message.value);

describe('live schemas of target clusters', () => {
  const withWidget = liveTypes(true);
  const without = liveTypes(false);

  it('a CRD installed on one cluster only: its custom resource is checked there and reported as not served on exactly the other', () => {
    const text = profile(widget('    color: green'));
    const d = diagnose(text, [
      { name: 'eu-prod-1', kube: withWidget },
      { name: 'us-prod-1', kube: without },
    ]);
    const enumFinding = expectOne(d.filter((x) => x.code === 'MANIFEST_INVALID_ENUM_VALUE'), 'MANIFEST_INVALID_ENUM_VALUE', rangeOf(text, 'green'));
    assert.match(message(enumFinding), /^On cluster eu-prod-1: Widget spec\.color is "green"; it must be one of red, blue/);
    const notServed = expectOne(d.filter((x) => x.code === 'KIND_NOT_SERVED_ON_CLUSTER'), 'KIND_NOT_SERVED_ON_CLUSTER', rangeOf(text, 'Widget'));
    assert.match(message(notServed), /^On cluster us-prod-1: Widget example\.com\/v1 is not served there/);
    // The built-in API cannot check it; the live clusters can, so no "not checked" note.
    assert.deepEqual(d.filter((x) => x.code === 'MANIFEST_KIND_UNKNOWN'), []);
  });

  it('without targets the same custom resource is only noted as not checked', () => {
    const text = profile(widget('    color: green'));
    const d = diagnose(text, undefined);
    expectOne(d, 'MANIFEST_KIND_UNKNOWN', rangeOf(text, 'Widget'));
  });

  it('a finding that holds on every target is reported once, without a cluster name', () => {
    const text = profile(`
- apiVersion: v1
  kind: ConfigMap
  metadata: { name: c }
  dta: { a: b }`);
    const d = diagnose(text, [
      { name: 'eu-prod-1', kube: withWidget },
      { name: 'us-prod-1', kube: without },
    ]);
    const found = expectOne(d, 'MANIFEST_UNKNOWN_FIELD', rangeOf(text, 'dta'));
    assert.match(message(found), /^ConfigMap has no field "dta": did you mean "data"\?/);
  });

  it('clusters sharing one schema set are checked once and named together', () => {
    const text = profile(widget('    color: green'));
    const targets = Array.from({ length: 1000 }, (_, i) => ({ name: `edge-${i}`, kube: withWidget }));
    const d = diagnose(text, targets);
    const found = expectOne(d, 'MANIFEST_INVALID_ENUM_VALUE');
    assert.match(message(found), /^On clusters edge-0, edge-1, edge-2, edge-3, edge-4 and 995 more: /);
  });

  it('a missing required field of a live CRD schema, on the cluster that has it', () => {
    const text = profile(widget('    size: 3'));
    const d = diagnose(text, [{ name: 'eu-prod-1', kube: withWidget }]);
    assert.match(message(expectOne(d, 'MANIFEST_MISSING_FIELD')), /^On cluster eu-prod-1: Widget spec is missing the required field "color"/);
  });

  describe('documents read without trust', () => {
    it('aggregated discovery: odd shapes are skipped, kinds without create are not manifests', () => {
      const served = servedKindsOf(
        { items: [{ metadata: { name: 'a.io' }, versions: [{ version: 'v1', resources: [{ resource: 'xs', responseKind: { kind: 'X' }, scope: 'Cluster', verbs: ['create'] }, { resource: 'ys', responseKind: { kind: 'Y' }, verbs: ['get'] }, 'junk', { resource: 1 }] }, 7] }, null] },
        { items: 'not a list' },
        'garbage',
        { items: [{ versions: [{ version: 'v1', resources: [{ resource: 'pods', responseKind: { kind: 'Pod' }, scope: 'Namespaced', verbs: ['create'] }] }] }] },
      );
      assert.deepEqual(JSON.parse(JSON.stringify(served)), { 'a.io/v1': { X: 'Cluster' }, v1: { Pod: 'Namespaced' } });
    });

    it('a schema nested deeper than the limit is cut, not recursed into, and reported', () => {
      let deep: Record<string, unknown> = { type: 'string' };
      for (let i = 0; i < 100_000; i++) deep = { type: 'object', properties: { a: deep } };
      const doc = { components: { schemas: { 'com.example.v1.Deep': { ...deep, 'x-kubernetes-group-version-kind': [{ group: 'example.com', version: 'v1', kind: 'Deep' }] } } } };
      const read = groupVersionSchemasOf('example.com/v1', doc);
      assert.equal(read.kinds.Deep, 'com.example.v1.Deep');
      assert.match(read.problems.join(), new RegExp(`depth ${MAX_SCHEMA_DEPTH}`));
      let node = read.schemas['com.example.v1.Deep'];
      let depth = 0;
      while (node.properties?.a) {
        node = node.properties.a;
        depth++;
      }
      assert.equal(depth, MAX_SCHEMA_DEPTH + 1);
      assert.equal(node['x-kubernetes-preserve-unknown-fields'], true);
    });

    it('a document with more nodes than the budget keeps what it read and lets the rest pass', function () {
      // A hang guard, not a timing: building and reading the 400,000 properties is about 3 s of
      // CPU alone on the project's machine, and took past the suite's 20 s at load average 10-14.
      this.timeout(120_000);
      const properties: Record<string, unknown> = {};
      for (let i = 0; i < MAX_SCHEMA_NODES + 10; i++) properties[`f${i}`] = { type: 'string' };
      const read = groupVersionSchemasOf('example.com/v1', { components: { schemas: { Big: { type: 'object', properties } } } });
      assert.match(read.problems.join(), /larger or deeper than kplane reads/);
      assert.equal(read.schemas.Big['x-kubernetes-preserve-unknown-fields'], true);
    });

    it('odd values are dropped: unknown types, non-scalar enums, non-string required, prototype keys', () => {
      const read = groupVersionSchemasOf('example.com/v1', {
        components: {
          schemas: {
            Odd: {
              type: ['string', 'null'],
              enum: [{ a: 1 }],
              required: [1, 'name', 'name'],
              format: 'x'.repeat(1000),
              minimum: 'NaN',
              'x-kubernetes-list-type': 'weird',
              'x-kubernetes-list-map-keys': [1],
              properties: JSON.parse('{"__proto__": {"type": "string"}, "constructor": {"type": "integer"}}'),
              items: [1, 2],
              additionalProperties: 'yes',
              anyOf: 'no',
            },
            NotAnObject: 42,
          },
        },
      });
      const odd = read.schemas.Odd;
      assert.deepEqual(Object.keys(odd).sort(), ['properties', 'required']);
      assert.deepEqual(odd.required, ['name']);
      assert.deepEqual(Object.keys(odd.properties!).sort(), ['__proto__', 'constructor']);
      assert.equal(odd.properties!['constructor' as string].type, 'integer');
      assert.equal(Object.hasOwn(read.schemas, 'NotAnObject'), false);
    });

    it('a document without components is a problem, not a crash', () => {
      for (const doc of [null, 'text', [], { components: 1 }, { components: { schemas: [] } }]) {
        const read = groupVersionSchemasOf('example.com/v1', doc);
        assert.deepEqual(read.kinds, {});
        assert.match(read.problems[0], /has no components\.schemas/);
      }
    });

    it('a manifest field named like an Object.prototype member is an unknown field, not a crash', () => {
      const text = profile(`
- apiVersion: v1
  kind: ConfigMap
  metadata: { name: c }
  constructor: 1`);
      expectOne(diagnose(text, [{ name: 'eu-prod-1', kube: without }]), 'MANIFEST_UNKNOWN_FIELD', rangeOf(text, 'constructor'));
    });
  });
});

describe('the /openapi/v3 index and /version, read without trust', () => {
  it('keeps plain group/versions with URLs under /openapi/v3/, and nothing else', () => {
    const paths = openApiPathsOf({
      paths: {
        'api/v1': { serverRelativeURL: '/openapi/v3/api/v1?hash=A' },
        'apis/apps/v1': { serverRelativeURL: '/openapi/v3/apis/apps/v1?hash=B' },
        'apis/example.com/v1': { serverRelativeURL: `/openapi/v3/apis/example.com/v1?hash=${'x'.repeat(1000)}` },
        'apis/evil.example/v1': { serverRelativeURL: 'https://elsewhere.example/steal' },
        'apis/__proto__/v1': { serverRelativeURL: '/openapi/v3/apis/__proto__/v1' },
        'apis/apps': { serverRelativeURL: '/openapi/v3/apis/apps' },
        'version': { serverRelativeURL: '/openapi/v3/version' },
        'apis/batch/v1': 'not an object',
      },
    });
    assert.deepEqual(paths, { v1: '/openapi/v3/api/v1?hash=A', 'apps/v1': '/openapi/v3/apis/apps/v1?hash=B' });
    assert.deepEqual(openApiPathsOf('not json at all'), {});
    assert.deepEqual(openApiPathsOf({ paths: [1, 2] }), {});
  });

  it('names the release from gitVersion, or says unknown', () => {
    assert.equal(kubernetesReleaseOf({ gitVersion: 'v1.36.3' }), 'v1.36.3');
    assert.equal(kubernetesReleaseOf({ gitVersion: 'v'.repeat(200) }), 'unknown');
    assert.equal(kubernetesReleaseOf({ gitVersion: 136 }), 'unknown');
    assert.equal(kubernetesReleaseOf(null), 'unknown');
  });
});
