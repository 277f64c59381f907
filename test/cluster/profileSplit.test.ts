/**
 * `kplane split` on a real kube-apiserver with the agent: a kube-prometheus-shaped stack (CRDs
 * shipped in the same layer as the operator and the custom resources that need them, dashboards
 * in ConfigMaps) too large for the --max-bytes given is split into a chain of profiles; applied
 * all at once, in reverse order (the worst case for the race), every part becomes Ready and no
 * part ever tried to apply a custom resource before its CRD was served.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { repoRoot } from '@kplane/bed';
import { useAgentBed, waitForProfile } from './agentBed.js';
import type { ClusterAgent, ClusterProfile } from '@kplane/profile';

const NS = 'kplane-system';
const PROFILES = `/apis/kplane.dev/v1alpha1/namespaces/${NS}/clusterprofiles`;

const crd = (n: number) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `prometheuses${n}.monitoring.example.com` },
  spec: {
    group: 'monitoring.example.com',
    scope: 'Namespaced',
    names: { kind: `Prometheus${n}`, plural: `prometheuses${n}`, singular: `prometheus${n}`, listKind: `Prometheus${n}List` },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            // Real CRDs are mostly descriptions: this makes each about 40 KB.
            description: 'The operator reconciles each object and reports its status. '.repeat(650),
            properties: { spec: { type: 'object', properties: { replicas: { type: 'integer' }, retention: { type: 'string' } } } },
          },
        },
      },
    ],
  },
});
const instance = (n: number) => ({ apiVersion: 'monitoring.example.com/v1', kind: `Prometheus${n}`, metadata: { name: `k8s-${n}` }, spec: { replicas: 2, retention: '${retention}' } });
const dashboard = (n: number) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `grafana-dashboard-${n}` }, data: { [`d${n}.json`]: `{"title":"${n}","datasource":"$\${datasource}","panels":[${'{"type":"timeseries"},'.repeat(600)}{}]}` } });

function stack(): ClusterProfile {
  return {
    apiVersion: 'kplane.dev/v1alpha1',
    kind: 'ClusterProfile',
    metadata: { name: 'kube-prometheus', namespace: NS },
    spec: {
      version: '1.0.0',
      variables: [{ name: 'retention', type: 'string', default: '15d' }],
      layers: [
        { name: 'operator', namespace: 'monitoring', manifests: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'monitoring' } }, ...[0, 1, 2, 3, 4, 5].map(crd), ...[0, 1, 2, 3, 4, 5].map(instance)] as never },
        { name: 'dashboards', namespace: 'monitoring', dependsOn: ['operator'], manifests: Array.from({ length: 8 }, (_, i) => dashboard(i)) as never },
      ],
    },
  } as ClusterProfile;
}

describe('kplane split (cluster): a split stack applies in order, without the "does not serve" race', function () {
  const bed = useAgentBed({ cluster: { name: 'split' }, agentArgs: ['--heartbeat', '2s'] });

  it('kplane split writes valid parts under --max-bytes; applied in reverse order, all become Ready with every object', async function () {
    this.timeout(240_000);
    const dir = mkdtempSync(join(tmpdir(), 'kplane-split-'));
    const input = join(dir, 'stack.profile.yaml');
    const output = join(dir, 'parts.profile.yaml');
    writeFileSync(input, stringify(stack(), { lineWidth: 0 }));
    const cli = (...args: string[]) => spawnSync(process.execPath, [join(repoRoot(), 'cli', 'bin', 'kplane.js'), ...args], { encoding: 'utf8' });
    const split = cli('split', input, '--max-bytes', '120000', '--out', output);
    assert.equal(split.status, 0, split.stderr);
    const validate = cli('validate', output);
    assert.equal(validate.status, 0, validate.stdout + validate.stderr);
    const parts = parseAllDocuments(readFileSync(output, 'utf8')).map((d) => d.toJS() as ClusterProfile);
    assert.ok(parts.length >= 3, `${parts.length} parts`);
    assert.equal(parts[parts.length - 1].metadata.name, 'kube-prometheus');

    for (const p of [...parts].reverse()) await bed.api.apply(`${PROFILES}/${p.metadata.name}`, p, 'kplane');
    for (const p of parts) await waitForProfile(bed.api, p.metadata.name, 'Ready', undefined, { timeoutMs: 180_000 });
    for (let n = 0; n < 6; n++) {
      const cr = await bed.api.request<{ spec: { retention: string } }>('GET', `/apis/monitoring.example.com/v1/namespaces/monitoring/prometheuses${n}/k8s-${n}`);
      assert.equal(cr.spec.retention, '15d');
    }
    const dashboards = await bed.api.request<{ items: unknown[] }>('GET', '/api/v1/namespaces/monitoring/configmaps', { query: { labelSelector: 'kplane.dev/layer=dashboards' } });
    assert.equal(dashboards.items.length, 8);
    // Not once did a part meet a kind the API server did not serve yet: each waited for the one before.
    const events = (await bed.api.request<ClusterAgent>('GET', `/apis/kplane.dev/v1alpha1/namespaces/${NS}/clusteragents/agent`)).status?.events ?? [];
    assert.deepEqual(events.filter((e: { message: string }) => /does not serve|not served/i.test(e.message)), []);
    assert.doesNotMatch(bed.agent.logs(), /does not serve/);
  });
});
