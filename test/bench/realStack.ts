/**
 * A stack written by the project with the shape of a real one (kube-prometheus, Argo CD), for
 * bench:agent: CRDs of about 0.6 MB with deep schemas (as controller-gen writes them: every field
 * described), custom resources of those kinds, 40 KB Grafana-like dashboards in ConfigMaps, and a
 * dozen kinds of ordinary objects. `tag` makes every cluster-scoped name unique, so several copies
 * fit on one cluster. 164 objects, about 3.3 MB: more than one profile holds, so it goes through
 * `kplane split` (splitProfile), as a user's would.
 */
import type { ClusterProfile, Manifest } from '@kplane/profile';

const WORDS = 'the controller reconciles each object and reports its status conditions when the desired state differs from the observed state of the cluster'.split(' ');
const text = (seed: number, words: number) => Array.from({ length: words }, (_, i) => WORDS[(seed * 7 + i * 3) % WORDS.length]).join(' ');

/** A property tree `depth` levels deep, `width` fields per level, each described in about 200 characters. */
function schema(depth: number, width: number, seed: number): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (let f = 0; f < width; f++) {
    const description = text(seed + f, 30);
    properties[`field${depth}x${f}`] = depth > 0 ? { type: 'object', description, properties: (schema(depth - 1, width, seed + f + 1) as { properties: unknown }).properties } : f % 2 ? { type: 'string', description } : { type: 'integer', format: 'int32', description };
  }
  return { type: 'object', properties };
}

export const STACK_CRDS = 3;

export function realStack(name: string, namespace: string, tag: string): ClusterProfile {
  const group = `monitoring-${tag}.example.com`;
  const crds: Manifest[] = [];
  const instances: Manifest[] = [];
  for (let n = 0; n < STACK_CRDS; n++) {
    const kind = `Prometheus${n}`;
    crds.push({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `prometheuses${n}.${group}`, annotations: { 'controller-gen.kubebuilder.io/version': 'v0.16.0' } },
      spec: {
        group,
        scope: 'Namespaced',
        names: { kind, plural: `prometheuses${n}`, singular: `prometheus${n}`, listKind: `${kind}List` },
        versions: [{ name: 'v1', served: true, storage: true, subresources: { status: {} }, schema: { openAPIV3Schema: { type: 'object', description: text(n, 40), properties: { spec: schema(3, 7, n), status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } } }],
      },
    } as unknown as Manifest);
    for (let i = 0; i < 5; i++) instances.push({ apiVersion: `${group}/v1`, kind, metadata: { name: `k8s-${i}` }, spec: { field3x2: { field2x3: { field1x4: { field0x1: 'value' } } } } } as unknown as Manifest);
  }
  const dashboards: Manifest[] = Array.from({ length: 30 }, (_, n) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `grafana-dashboard-${n}`, labels: { grafana_dashboard: '1' } },
    data: {
      [`dashboard-${n}.json`]: JSON.stringify({
        title: `Dashboard ${n}`,
        templating: { list: [{ name: 'datasource', type: 'datasource', query: 'prometheus' }] },
        panels: Array.from({ length: 150 }, (_, p) => ({ id: p, type: 'timeseries', title: `Panel ${p}`, datasource: { uid: '$${datasource}' }, targets: [{ expr: `sum(rate(http_requests_total{job="app-${n}"}[5m])) by (code)`, legendFormat: '{{code}}' }] })),
      }),
    },
  })) as Manifest[];
  const apps: Manifest[] = [];
  for (let n = 0; n < 16; n++) {
    const app = `app-${n}`;
    const labels = { 'app.kubernetes.io/name': app, 'app.kubernetes.io/part-of': 'stack' };
    apps.push(
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: app, labels } } as Manifest,
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${app}-config`, labels }, data: { 'config.yaml': `server:\n  port: 8080\nlogging:\n  level: info\n# ${text(n, 40)}\n` } } as Manifest,
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: app, labels }, rules: [{ apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['get', 'list', 'watch'] }, { apiGroups: [group], resources: ['*'], verbs: ['*'] }] } as unknown as Manifest,
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: app, labels }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: app }, subjects: [{ kind: 'ServiceAccount', name: app }] } as unknown as Manifest,
      { apiVersion: 'v1', kind: 'Service', metadata: { name: app, labels }, spec: { clusterIP: 'None', selector: labels, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } } as unknown as Manifest,
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: app, labels },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              serviceAccountName: app,
              containers: [{ name: 'app', image: 'registry.example.com/app:1.0', args: ['--config', '/etc/app/config.yaml'], ports: [{ containerPort: 8080, name: 'http' }], resources: { requests: { cpu: '100m', memory: '128Mi' } }, volumeMounts: [{ name: 'config', mountPath: '/etc/app' }] }],
              volumes: [{ name: 'config', configMap: { name: `${app}-config` } }],
            },
          },
        },
      } as unknown as Manifest,
    );
  }
  const cluster: Manifest[] = [];
  for (let n = 0; n < 5; n++) {
    cluster.push(
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: `stack-${tag}-reader-${n}` }, rules: [{ apiGroups: [''], resources: ['nodes', 'pods'], verbs: ['get', 'list', 'watch'] }] } as unknown as Manifest,
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: `stack-${tag}-reader-${n}` }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `stack-${tag}-reader-${n}` }, subjects: [{ kind: 'ServiceAccount', name: `app-${n}`, namespace }] } as unknown as Manifest,
      { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: `app-${n}` }, spec: { maxUnavailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': `app-${n}` } } } } as unknown as Manifest,
      { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: `app-${n}` }, spec: { podSelector: { matchLabels: { 'app.kubernetes.io/name': `app-${n}` } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: {} }] }] } } as unknown as Manifest,
    );
  }
  return {
    apiVersion: 'kplane.dev/v1alpha1',
    kind: 'ClusterProfile',
    metadata: { name, namespace: 'kplane-system' },
    spec: {
      version: '1.0.0',
      reconcile: { mode: 'enforce', prune: true, interval: '10m' },
      layers: [
        // As upstream ships it: the operator's CRDs and its instances together (kplane split moves the CRDs first).
        { name: 'operator', namespace, manifests: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } as Manifest, ...crds, ...instances] },
        { name: 'dashboards', namespace, dependsOn: ['operator'], manifests: dashboards },
        { name: 'apps', namespace, dependsOn: ['operator'], manifests: [...apps, ...cluster] },
      ],
    },
  };
}
