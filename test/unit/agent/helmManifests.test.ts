/**
 * The pure side of Helm layers: helm's output cut into phases (CRDs, pre hooks, objects, post
 * hooks; test hooks skipped), and the phases' reports merged back into one layer status.
 */
import { strict as assert } from 'node:assert';
import { failedLayer, mergeLayerReports, MAX_CHART_OBJECTS, splitChartOutput, type LayerReport } from '@kplane/agent/core';

const output = `---
# Source: demo/crds/widgets.yaml
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.charts.kplane.dev
---
# Source: demo/templates/main.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
---
# Source: demo/templates/main.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
---
# Source: demo/templates/post.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: post
  annotations:
    helm.sh/hook: post-install,post-upgrade
---
# Source: demo/templates/pre.yaml
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  annotations:
    helm.sh/hook: pre-upgrade
    helm.sh/hook-weight: "5"
    helm.sh/hook-delete-policy: hook-succeeded
---
# Source: demo/templates/pre.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: pre-first
  annotations:
    helm.sh/hook: pre-install
    helm.sh/hook-weight: "-5"
---
# Source: demo/templates/test.yaml
apiVersion: v1
kind: Pod
metadata:
  name: smoke
  annotations:
    helm.sh/hook: test
---
# Source: demo/templates/empty.yaml
`;

const report = (name: string, state: LayerReport['status']['state'], resources: number, ready: number, blocks?: string): LayerReport => ({
  status: { name, state, resources, ready, ...(state === 'Ready' ? {} : { message: `${name} ${state}` }) },
  errors: state === 'Failed' ? ['broken'] : [],
  drifted: 0,
  blocks,
});

describe('helm layers: phases of a chart', () => {
  it('puts CRDs first, pre hooks by weight, then objects in Helm kind order, then post hooks; test hooks are skipped', () => {
    const { render, error } = splitChartOutput(output);
    assert.equal(error, undefined);
    assert.deepEqual(
      render!.objects.map((o) => `${o.phase} ${o.manifest.kind}/${o.manifest.metadata.name}`),
      ['crds CustomResourceDefinition/widgets.charts.kplane.dev', 'pre ConfigMap/pre-first', 'pre Job/migrate', 'main ConfigMap/settings', 'main Deployment/web', 'post ConfigMap/post'],
    );
    assert.deepEqual(render!.objects.find((o) => o.manifest.metadata.name === 'migrate')!.deletePolicies, ['hook-succeeded']);
    assert.deepEqual(render!.objects.find((o) => o.manifest.metadata.name === 'post')!.deletePolicies, ['before-hook-creation']);
    assert.equal(render!.objects[0].source, 'demo/crds/widgets.yaml');
    assert.deepEqual(render!.skipped, [{ kind: 'Pod', name: 'smoke', reason: 'helm.sh/hook test is not run by kplane' }]);
  });

  it('names the template of an object without a name, and of a document that is no object', () => {
    const nameless = splitChartOutput('---\n# Source: demo/templates/bad.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata: {}\n');
    assert.match(nameless.error!, /without apiVersion, kind or metadata.name \(demo\/templates\/bad.yaml\)/);
    const scalar = splitChartOutput('---\n# Source: demo/templates/text.yaml\njust text\n');
    assert.match(scalar.error!, /no Kubernetes object \(demo\/templates\/text.yaml\)/);
  });

  it('an empty render is no objects, not an error', () => {
    assert.deepEqual(splitChartOutput(''), { render: { objects: [], skipped: [] } });
  });

  it('a chart of 500 objects is taken whole; one past MAX_CHART_OBJECTS (a runaway range) is refused, naming the limit', () => {
    const configMaps = (n: number) => Array.from({ length: n }, (_, i) => `---\n# Source: many/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\n`).join('');
    const five = splitChartOutput(configMaps(500));
    assert.equal(five.render?.objects.length, 500);
    assert.equal(five.render?.objects[499].manifest.metadata.name, 'cm-499');
    assert.deepEqual(splitChartOutput(configMaps(MAX_CHART_OBJECTS + 1)), { error: `the chart rendered more than ${MAX_CHART_OBJECTS} objects; check its values (a runaway range?)` });
  });
});

describe('helm layers: one status per layer', () => {
  it('sums the phases and takes the state of the first phase that is not Ready, with chart and version', () => {
    const chart = { chart: 'web', version: '1.1.0' };
    const merged = mergeLayerReports(
      [
        { report: report('base', 'Ready', 2, 2) },
        { report: report('web', 'Ready', 1, 1), chart },
        { report: report('web', 'Waiting', 3, 1, 'waiting for layer "web" to become healthy'), chart },
        { report: report('web', 'Pending', 1, 0, 'waiting for layer "web" to become healthy'), chart },
        { report: report('after', 'Pending', 1, 0, 'waiting for layer "web" to become healthy') },
      ],
      [{ name: 'web', state: 'Ready', resources: 5, ready: 5, chart: 'web', chartVersion: '1.0.0' }],
    );
    assert.deepEqual(
      merged.map((m) => m.status),
      [
        { name: 'base', state: 'Ready', resources: 2, ready: 2 },
        { name: 'web', state: 'Waiting', resources: 5, ready: 2, message: 'web Waiting', chart: 'web', chartVersion: '1.1.0', previousChartVersion: '1.0.0' },
        { name: 'after', state: 'Pending', resources: 1, ready: 0, message: 'after Pending' },
      ],
    );
    assert.equal(merged[1].blocks, 'waiting for layer "web" to become healthy');
  });

  it('a Ready chart layer shows no previous version, and says so when the stored chart is enforced', () => {
    const [web] = mergeLayerReports([{ report: report('web', 'Ready', 3, 3), chart: { chart: 'web', version: '1.1.0', warning: 'cannot reach oci://r; enforcing the stored chart web 1.1.0' } }], [
      { name: 'web', state: 'Waiting', resources: 5, ready: 2, chart: 'web', chartVersion: '1.1.0', previousChartVersion: '1.0.0' },
    ]);
    assert.deepEqual(web.status, { name: 'web', state: 'Ready', resources: 3, ready: 3, message: 'cannot reach oci://r; enforcing the stored chart web 1.1.0', chart: 'web', chartVersion: '1.1.0' });
  });

  it('a chart that cannot be fetched fails its layer and blocks the next', () => {
    const failed = failedLayer({ name: 'web' }, 'cannot fetch chart web 9.9.9');
    const [web] = mergeLayerReports([{ report: failed, chart: { chart: 'web' } }]);
    assert.equal(web.status.state, 'Failed');
    assert.equal(web.status.chart, 'web');
    assert.deepEqual(web.errors, ['cannot fetch chart web 9.9.9']);
    assert.match(web.blocks!, /which failed/);
  });
});
