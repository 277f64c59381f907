/**
 * Manifests checked against the target cluster's own types, injected as a ClusterSchemaSource
 * (in the editor, read from the live API server's OpenAPI v3). Here the source is a schema object
 * shaped like the API server's (open objects, x-kubernetes-* extensions).
 */
import { strict as assert } from 'node:assert';
import type { ClusterSchemaSource, JsonSchema } from '@kplane/profile';
import { getLanguageService, textDocument } from '@kplane/language-server';
import { VALID, diagnose, edit, expectOne, rangeOf, codes } from './helpers.js';

const deployment: JsonSchema = {
  type: 'object',
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object', properties: { name: { type: 'string' }, namespace: { type: 'string' }, labels: { type: 'object', additionalProperties: { type: 'string' } } } },
    spec: {
      type: 'object',
      required: ['template'],
      properties: {
        replicas: { type: 'integer', format: 'int32', description: 'Number of desired pods. Defaults to 1.' },
        selector: { type: 'object', properties: { matchLabels: { type: 'object', additionalProperties: { type: 'string' } } } },
        template: {
          type: 'object',
          properties: {
            metadata: { type: 'object', properties: { labels: { type: 'object', additionalProperties: { type: 'string' } } } },
            spec: {
              type: 'object',
              properties: {
                containers: {
                  type: 'array',
                  items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, image: { type: 'string' }, ports: { type: 'array', items: { type: 'object', properties: { containerPort: { type: 'integer' } } } } } },
                },
              },
            },
          },
        },
        strategy: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
    },
  },
};

const source: ClusterSchemaSource = { schemaFor: (apiVersion, kind) => (apiVersion === 'apps/v1' && kind === 'Deployment' ? deployment : undefined) };
const URI = 'file:///work/test.profile.yaml';

describe('language service: manifests against the cluster\'s schemas', () => {
  it('the valid profile passes, with typed variable values substituted first', () => {
    // replicas is "${replicas}", a string in the text and an integer once substituted.
    assert.deepEqual(diagnose(VALID, URI, { clusterSchemas: source }), []);
  });

  it('an unknown field, on its key, that only the cluster schema knows about', () => {
    const text = edit(VALID, '                    image: "${image}"', '                    image: "${image}"\n                    imagePullPolicee: Always');
    assert.deepEqual(codes(diagnose(text, URI)), [], 'the profile schema alone cannot see it');
    expectOne(diagnose(text, URI, { clusterSchemas: source }), 'CLUSTER_UNKNOWN_FIELD', rangeOf(text, 'imagePullPolicee'));
  });

  it('a wrong type and a missing required field', () => {
    const text = edit(edit(VALID, '                  - name: web\n', '                  - image2: x\n'), 'replicas: "${replicas}"', 'replicas: many');
    const d = diagnose(text, URI, { clusterSchemas: source });
    expectOne(d, 'CLUSTER_WRONG_TYPE', rangeOf(text, 'many'));
    const missing = d.find((x) => x.code === 'CLUSTER_MISSING_REQUIRED_FIELD');
    assert.ok(missing && String(missing.message).includes('"name"'), JSON.stringify(d));
  });

  it('hover inside a manifest shows the cluster schema\'s documentation of the field', () => {
    const at = VALID.indexOf('replicas: "${replicas}"') + 2;
    const document = textDocument(URI, VALID);
    const service = getLanguageService({ clusterSchemas: source });
    const hover = service.doHover(document, document.positionAt(at));
    assert.ok(hover && typeof hover.contents === 'object' && 'value' in hover.contents, 'no hover');
    assert.match(hover.contents.value, /Number of desired pods/);
    assert.match(hover.contents.value, /cluster's apps\/v1 Deployment schema/);
    assert.equal(getLanguageService().doHover(document, document.positionAt(at)), null, 'without a cluster there is nothing to say');
  });

  it('fields the schema keeps open stay open', () => {
    const text = edit(VALID, '            template:', '            strategy: { anything: goes }\n            template:');
    assert.deepEqual(diagnose(text, URI, { clusterSchemas: source }), []);
  });
});
