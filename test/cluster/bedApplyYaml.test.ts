/**
 * The bed's applyYaml sends a CustomResourceDefinition as the JSON it is: its enum, default and
 * x-kubernetes-preserve-unknown-fields reach the API server, which then enforces them. Through
 * client-node's models (V1JSONSchemaProps calls them `_enum`, `_default`,
 * `xKubernetesPreserveUnknownFields`) all three were dropped, and each assertion below failed.
 */
import assert from 'node:assert/strict';
import { applyYaml, startCluster, type TestCluster } from '@kplane/bed';

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: lamps.example.com
spec:
  group: example.com
  scope: Namespaced
  names: { kind: Lamp, plural: lamps, singular: lamp, listKind: LampList }
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
                color: { type: string, enum: [red, blue] }
                watts: { type: integer, default: 40 }
                extra: { type: object, x-kubernetes-preserve-unknown-fields: true }
`;

const lamp = (name: string, color: string) => `apiVersion: example.com/v1
kind: Lamp
metadata: { name: ${name}, namespace: default }
spec:
  color: ${color}
  extra: { anything: { goes: here } }
`;

describe('test bed: applyYaml keeps every field of a CRD schema (cluster)', function () {
  let cluster: TestCluster;

  before(async function () {
    this.timeout(120_000);
    cluster = await startCluster({ name: 'bed-apply-yaml' });
  });

  after(async function () {
    this.timeout(60_000);
    await cluster?.stop();
  });

  it('the API server enforces the enum, applies the default and keeps the preserved fields of a CRD applied with applyYaml', async function () {
    this.timeout(60_000);
    const [crd] = await applyYaml(cluster, CRD);
    const stored = (crd as { spec: { versions: { schema: { openAPIV3Schema: { properties: { spec: { properties: Record<string, Record<string, unknown>> } } } } }[] } }).spec.versions[0].schema.openAPIV3Schema.properties.spec.properties;
    assert.deepEqual(stored.color.enum, ['red', 'blue']);
    assert.equal(stored.watts.default, 40);
    assert.equal(stored.extra['x-kubernetes-preserve-unknown-fields'], true);

    // The CRD's kind becomes served after a moment: applyYaml waits for it.
    const [applied] = (await applyYaml(cluster, lamp('desk', 'red'))) as { spec: Record<string, unknown> }[];
    assert.deepEqual(applied.spec, { color: 'red', watts: 40, extra: { anything: { goes: 'here' } } });
    await assert.rejects(applyYaml(cluster, lamp('floor', 'green')), /applyYaml: Lamp default\/floor: the API server answered 422: .*spec\.color: Unsupported value: "green": supported values: "red", "blue"/);
  });
});
