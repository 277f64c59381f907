/**
 * Which `${…}` is a variable (only `${name}` with a variable name), the opt-outs (annotation on
 * an object, `substitute: false` on a layer), and `*List` kinds expanded into their items, on
 * the shapes real stacks ship: a Grafana dashboard ConfigMap and a shell script.
 */
import { strict as assert } from 'node:assert';
import {
  allCrds,
  expandManifests,
  renderProfile,
  scanReferences,
  substitute,
  validateProfile,
  type ClusterProfileSpec,
  type Finding,
  type Manifest,
  type RenderProblem,
  type VariableValue,
} from '@kplane/profile';

const errorsOf = (findings: Finding[]) => findings.filter((f) => f.severity === 'error');
const profile = (spec: Record<string, unknown>) => ({ apiVersion: 'kplane.dev/v1alpha1', kind: 'ClusterProfile', metadata: { name: 'p' }, spec: { version: '1.0.0', ...spec } });

/** A Grafana dashboard as kube-prometheus ships it: template variables in Grafana's own ${…} forms. */
const DASHBOARD = JSON.stringify({
  title: 'Pods',
  templating: { list: [{ name: 'datasource', type: 'datasource' }] },
  panels: [
    { datasource: { uid: '${datasource:queryparam}' }, title: '${__data.fields.Pod}', links: [{ url: '/d/x?var-pod=${__value.raw}&var-node=${__value.text}' }] },
    { title: 'CPU of ${__field.labels.pod}', targets: [{ expr: 'sum(rate(x{pod=~"${__data.fields[\\"Pod\\"]}"}[5m]))' }] },
  ],
});

/** A shell script as Redis charts ship it: positional parameters, ${#…}, ${x:-y} defaults. */
const SCRIPT = ['#!/bin/sh', 'set -e', 'response=$(redis-cli ping)', 'if [ "$response" != "PONG ${1}" ]; then', '  echo "${@}" "${#}" "${0##*/}" "${2:-none}"', '  exit 1', 'fi', ''].join('\n');

const configMap = (name: string, data: Record<string, string>, annotations?: Record<string, string>): Manifest => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ...(annotations ? { annotations } : {}) },
  data,
});

describe('${…} that real manifests contain', () => {
  describe('the grammar: only ${name} with a variable name is a reference', () => {
    for (const text of ['${1}', '${__data.fields.Pod}', '${datasource:queryparam}', '${ x }', '${a-b}', '${}', '${9lives}', '${x:-y}', '${#}', '${@}', '${a.b}', '$${x}', 'a$$${x}']) {
      it(`${text} is text`, () => assert.deepEqual(scanReferences(text), []));
    }
    for (const [text, name] of [['${x}', 'x'], ['${_private}', '_private'], ['${Image_Tag2}', 'Image_Tag2'], ['pre-${x}-post', 'x']] as const) {
      it(`${text} references ${name}`, () => assert.deepEqual(scanReferences(text).map((r) => r.name), [name]));
    }

    it('renders illegal ${…} and $${…} without a name untouched; $${name} becomes ${name}', () => {
      const spec: ClusterProfileSpec = {
        version: '1.0.0',
        variables: [{ name: 'x', type: 'string', default: 'X' }],
        layers: [{ name: 'a', manifests: [configMap('c', { a: '${1} ${a.b} $${1} $${x} ${x}', whole: '${__data.fields.Pod}' })] }],
      };
      const result = renderProfile(spec);
      assert.deepEqual(result.problems, []);
      assert.deepEqual(result.layers[0].manifests[0].data, { a: '${1} ${a.b} $${1} ${x} X', whole: '${__data.fields.Pod}' });
    });

    it('a Grafana dashboard ConfigMap with only Grafana forms is valid and applied as written', () => {
      const spec = { layers: [{ name: 'dash', manifests: [configMap('pods-dashboard', { 'pods.json': DASHBOARD })] }] };
      assert.deepEqual(errorsOf(validateProfile(profile(spec))), []);
      const rendered = renderProfile(spec as unknown as ClusterProfileSpec);
      assert.equal(rendered.layers[0].manifests[0].data && (rendered.layers[0].manifests[0].data as Record<string, string>)['pods.json'], DASHBOARD);
      assert.deepEqual(rendered.problems, []);
    });

    it('a shell script with ${1}, ${@}, ${#} and ${2:-none} is valid and applied as written', () => {
      const spec = { layers: [{ name: 'scripts', manifests: [configMap('health', { 'ping.sh': SCRIPT })] }] };
      assert.deepEqual(errorsOf(validateProfile(profile(spec))), []);
      assert.equal((renderProfile(spec as unknown as ClusterProfileSpec).layers[0].manifests[0].data as Record<string, string>)['ping.sh'], SCRIPT);
    });

    it('an undeclared legal name stays an error, once per reference, with the ways out in the message', () => {
      const findings = errorsOf(validateProfile(profile({ layers: [{ name: 'dash', manifests: [configMap('d', { 'd.json': '{"uid":"${datasource}","t":"${1}"}' })] }] })));
      assert.deepEqual(findings.map((f) => [f.code, f.data?.variable, f.span]), [['UNDECLARED_VARIABLE', 'datasource', { start: 8, end: 21 }]]);
      assert.match(findings[0].message, /declare "datasource".*\$\$\{datasource\}.*kplane\.dev\/substitute: disabled/);
    });
  });

  describe('opting out', () => {
    const shellWithHome = configMap('env', { 'run.sh': 'echo "${HOME}" "${1}"' });

    it('without an opt-out, ${HOME} in a script is an undeclared variable (the check can fail)', () => {
      assert.deepEqual(errorsOf(validateProfile(profile({ layers: [{ name: 'a', manifests: [shellWithHome] }] }))).map((f) => f.code), ['UNDECLARED_VARIABLE']);
    });

    it('the annotation kplane.dev/substitute: disabled leaves the object as written, escapes included', () => {
      const manifest = configMap('env', { 'run.sh': 'echo "${HOME}" "$${PATH}"' }, { 'kplane.dev/substitute': 'disabled' });
      const other = configMap('other', { v: '${x}' });
      const spec = { variables: [{ name: 'x', type: 'string', default: 'X' }], layers: [{ name: 'a', manifests: [manifest, other] }] };
      assert.deepEqual(errorsOf(validateProfile(profile(spec))), []);
      const rendered = renderProfile(spec as unknown as ClusterProfileSpec);
      assert.deepEqual(rendered.layers[0].manifests.map((m) => m.data), [{ 'run.sh': 'echo "${HOME}" "$${PATH}"' }, { v: 'X' }]);
    });

    it('substitute: false on a layer leaves that layer as written, and only that layer', () => {
      const spec = {
        variables: [{ name: 'x', type: 'string', default: 'X' }],
        layers: [
          { name: 'scripts', substitute: false, manifests: [shellWithHome, configMap('c', { v: '${x}' })] },
          { name: 'app', manifests: [configMap('app', { v: '${x}' })] },
        ],
      };
      assert.deepEqual(errorsOf(validateProfile(profile(spec))), []);
      const rendered = renderProfile(spec as unknown as ClusterProfileSpec);
      assert.deepEqual(rendered.layers.map((l) => l.manifests.map((m) => m.data)), [[{ 'run.sh': 'echo "${HOME}" "${1}"' }, { v: '${x}' }], [{ v: 'X' }]]);
    });

    it('a variable used only where substitution is off is reported unused', () => {
      const spec = { variables: [{ name: 'x', type: 'string', default: 'X' }], layers: [{ name: 'a', substitute: false, manifests: [configMap('c', { v: '${x}' })] }] };
      assert.deepEqual(validateProfile(profile(spec)).map((f) => f.code), ['UNUSED_VARIABLE']);
    });

    it('an annotation value other than "disabled" gets a warning and changes nothing', () => {
      const findings = validateProfile(profile({ layers: [{ name: 'a', manifests: [configMap('env', { v: '${HOME}' }, { 'kplane.dev/substitute': 'off' })] }] }));
      assert.deepEqual(findings.map((f) => [f.code, f.severity]).sort(), [['INVALID_SUBSTITUTE_ANNOTATION', 'warning'], ['UNDECLARED_VARIABLE', 'error']]);
    });

    it('a name that is still ${…} text is judged as written when substitution is off', () => {
      const manifest = { ...configMap('c', {}), metadata: { name: 'cm-${x}', annotations: { 'kplane.dev/substitute': 'disabled' } } };
      assert.deepEqual(errorsOf(validateProfile(profile({ layers: [{ name: 'a', manifests: [manifest] }] }))).map((f) => f.code), ['INVALID_MANIFEST_NAME']);
    });

    it('the CRD accepts substitute on a layer (schema, types and CRD agree, see typesAgree.test.ts)', () => {
      const crd = allCrds.find((c) => c.spec.names && (c.spec.names as { kind: string }).kind === 'ClusterProfile')!;
      const layer = JSON.stringify(crd.spec).includes('"substitute":{"type":"boolean"');
      assert.ok(layer, 'the ClusterProfile CRD has no layers[].substitute');
    });
  });
});

describe('*List kinds are expanded into their items, as kubectl does', () => {
  const configMapList = {
    apiVersion: 'v1',
    kind: 'ConfigMapList',
    metadata: { resourceVersion: '' },
    items: [{ metadata: { name: 'a' }, data: { v: '${x}' } }, { metadata: { name: 'b' }, data: { v: '${1}' } }],
  };
  const list = {
    apiVersion: 'v1',
    kind: 'List',
    items: [
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBindingList', items: [{ metadata: { name: 'rb' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' }, subjects: [] }] },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa' } },
    ],
  };

  it('typed lists give their items apiVersion and kind; v1 List items keep their own; nesting flattens', () => {
    const expanded = expandManifests([configMapList, list]);
    assert.deepEqual(
      expanded.map((e) => [e.manifest.apiVersion, e.manifest.kind, (e.manifest.metadata as { name: string }).name, e.path.join('/')]),
      [
        ['v1', 'ConfigMap', 'a', '0/items/0'],
        ['v1', 'ConfigMap', 'b', '0/items/1'],
        ['rbac.authorization.k8s.io/v1', 'RoleBinding', 'rb', '1/items/0/items/0'],
        ['v1', 'ServiceAccount', 'sa', '1/items/1'],
      ],
    );
  });

  it('renders the items, substituted and namespaced like any manifest', () => {
    const spec = { version: '1.0.0', variables: [{ name: 'x', type: 'string' as const, default: 'X' }], layers: [{ name: 'a', namespace: 'ns', manifests: [configMapList, list] as unknown as Manifest[] }] };
    const rendered = renderProfile(spec);
    assert.deepEqual(rendered.problems, []);
    assert.deepEqual(
      rendered.layers[0].manifests.map((m) => [m.kind, m.metadata.name, m.metadata.namespace, m.data]),
      [
        ['ConfigMap', 'a', 'ns', { v: 'X' }],
        ['ConfigMap', 'b', 'ns', { v: '${1}' }],
        ['RoleBinding', 'rb', 'ns', undefined],
        ['ServiceAccount', 'sa', 'ns', undefined],
      ],
    );
  });

  it('validates lists: valid as a whole, items checked one by one', () => {
    const spec = { variables: [{ name: 'x', type: 'string', default: 'X' }], layers: [{ name: 'a', manifests: [configMapList, list] }] };
    assert.deepEqual(errorsOf(validateProfile(profile(spec))), []);
  });

  it('finds a duplicate across a list and a plain manifest, an item without a name, a v1 List item without kind, a list without items', () => {
    const spec = {
      layers: [
        {
          name: 'a',
          manifests: [
            { apiVersion: 'v1', kind: 'ConfigMapList', items: [{ metadata: { name: 'a' } }, { metadata: {} }] },
            configMap('a', {}),
            { apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', metadata: { name: 'x' } }] },
            { apiVersion: 'v1', kind: 'SecretList' },
          ],
        },
      ],
    };
    const found = errorsOf(validateProfile(profile(spec))).map((f) => `${f.code} ${f.path.join('/')}`);
    assert.deepEqual(found.sort(), [
      'DUPLICATE_MANIFEST spec/layers/0/manifests/1/metadata/name',
      'MANIFEST_MISSING_FIELD spec/layers/0/manifests/0/items/1',
      'MANIFEST_MISSING_FIELD spec/layers/0/manifests/2/items/0',
      'MANIFEST_MISSING_FIELD spec/layers/0/manifests/3',
    ]);
  });

  it('the annotation on a list turns substitution off for all its items', () => {
    const annotated = { ...configMapList, metadata: { annotations: { 'kplane.dev/substitute': 'disabled' } } };
    const rendered = renderProfile({ version: '1.0.0', layers: [{ name: 'a', manifests: [annotated] as unknown as Manifest[] }] });
    assert.deepEqual(rendered.problems, []);
    assert.deepEqual(rendered.layers[0].manifests.map((m) => m.data), [{ v: '${x}' }, { v: '${1}' }]);
  });

  it('the CRD does not require a name on a list manifest (the API server stores what kubectl accepts)', () => {
    const crd = allCrds.find((c) => (c.spec.names as { kind: string }).kind === 'ClusterProfile')!;
    const root = (crd.spec.versions as { schema: { openAPIV3Schema: Schema } }[])[0].schema.openAPIV3Schema;
    const manifest = root.properties!.spec.properties!.layers.items!.properties!.manifests.items!;
    assert.deepEqual(manifest.required, ['apiVersion', 'kind']);
    assert.equal(manifest.properties!.metadata.required, undefined);
    assert.ok(!JSON.stringify(crd.spec).includes('"if"'), 'if/then/else left in a structural schema');
  });
});

interface Schema {
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
}

describe('substitute copies only what it changes (profile/src/render.ts)', () => {
  const values: Record<string, VariableValue> = { x: 'X', replicas: 3 };
  const declared = new Set(['x', 'replicas', 'unset']);

  /** substitute as it was before copy-on-change: a deep copy of every value. The new one must give equal results and problems. */
  function deepCopying(value: unknown, path: (string | number)[], problems: RenderProblem[]): unknown {
    if (typeof value === 'string') return substitute(value, values, declared, path, problems);
    if (Array.isArray(value)) return value.map((item, i) => deepCopying(item, [...path, i], problems));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, item]) => [k, deepCopying(item, [...path, k], problems)]));
    return value;
  }

  function deepFreeze<T>(value: T): T {
    if (value && typeof value === 'object') {
      for (const item of Object.values(value)) deepFreeze(item);
      Object.freeze(value);
    }
    return value;
  }

  const deployment = () =>
    deepFreeze({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web-${x}', labels: { app: 'web' } },
      spec: {
        replicas: '${replicas}',
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [
              { name: 'web', image: 'nginx:1.27', args: ['--port', '8080', '${1}', '$${x}'], env: [{ name: 'A', value: '${x}' }, { name: 'B', value: 'plain' }] },
              { name: 'sidecar', image: 'busybox', args: ['sleep', 'infinity'] },
            ],
            nodeSelector: null,
          },
        },
      },
      data: { missing: '${unset}', undeclared: 'a ${nope} b', count: 1, on: true },
    });

  it('gives the same values and problems (paths included) as the deep copy did', () => {
    for (const input of [deployment(), ['${x}', 'a', ['$${x}']], '${replicas}', 'plain', 42, null, {}]) {
      const before: RenderProblem[] = [];
      const after: RenderProblem[] = [];
      assert.deepEqual(substitute(input, values, declared, ['m', 0], after), deepCopying(input, ['m', 0], before));
      assert.deepEqual(after, before);
    }
    const problems: RenderProblem[] = [];
    substitute(deployment(), values, declared, ['m'], problems);
    assert.deepEqual(problems.map((p) => p.path.join('/')), ['m/data/undeclared']);
  });

  it('an object without ${…} comes back identical (===), and so does every unchanged part of one with', () => {
    const plain = deepFreeze({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: { a: 'b' } }, data: { script: 'echo ${1} ${HOME:-x}', n: 1 }, list: [{ a: 'b' }] });
    assert.equal(substitute(plain, values, declared, [], []), plain);

    const input = deployment();
    const out = substitute(input, values, declared, [], []) as ReturnType<typeof deployment>;
    assert.notEqual(out, input);
    // Copied: the objects on the way to a change.
    assert.notEqual(out.metadata, input.metadata);
    assert.notEqual(out.spec, input.spec);
    assert.notEqual(out.spec.template.spec.containers, input.spec.template.spec.containers);
    assert.notEqual(out.spec.template.spec.containers[0], input.spec.template.spec.containers[0]);
    assert.equal(out.spec.replicas, 3);
    // Shared: everything else.
    assert.equal(out.metadata.labels, input.metadata.labels);
    assert.equal(out.spec.selector, input.spec.selector);
    assert.equal(out.spec.template.metadata, input.spec.template.metadata);
    assert.equal(out.spec.template.spec.containers[1], input.spec.template.spec.containers[1]);
    assert.equal(out.spec.template.spec.containers[0]!.env![1], input.spec.template.spec.containers[0]!.env![1]);
  });

  it('never changes its input (deeply frozen here: a write would throw)', () => {
    const input = deployment();
    const text = JSON.stringify(input);
    substitute(input, values, declared, [], []);
    assert.equal(JSON.stringify(input), text);
  });

  it('renderProfile shares the unchanged parts of each manifest with the spec, and leaves the spec as it was', () => {
    const spec = deepFreeze({ version: '1.0.0', variables: [{ name: 'x', type: 'string', default: 'X' }], layers: [{ name: 'a', namespace: 'ns', manifests: [configMap('c', { v: '${x}' }), configMap('d', { v: 'plain' })] }] }) as unknown as ClusterProfileSpec;
    const text = JSON.stringify(spec);
    const [c, d] = renderProfile(spec).layers[0].manifests as [Manifest, Manifest];
    assert.deepEqual([c.data, c.metadata.namespace, d.metadata.namespace], [{ v: 'X' }, 'ns', 'ns']);
    assert.equal(d.data, spec.layers[0].manifests![1].data);
    assert.equal(JSON.stringify(spec), text);
  });
});
