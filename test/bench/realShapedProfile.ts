/**
 * A profile shaped like real installs (Argo CD's install.yaml, kube-prometheus), written by the
 * project for bench:lsp: big CustomResourceDefinitions with deep schemas and long descriptions,
 * many block scalars, Grafana-like JSON dashboards in ConfigMaps, and the usual workloads, RBAC
 * and Services. Valid against the built-in Kubernetes API except for the few mistakes at the end,
 * which both servers can see, so each server's diagnostics count is stable.
 */

const WORDS = 'the controller reconciles each object and reports its status conditions when the desired state differs from the observed state of the cluster'.split(' ');

function sentence(seed: number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(WORDS[(seed * 7 + i * 3) % WORDS.length]);
  return `${out.join(' ')}.`;
}

/** A CRD schema property tree `depth` levels deep, `width` fields per level, each with a long description. */
function schemaLines(indent: string, depth: number, width: number, seed: number, out: string[]): void {
  for (let f = 0; f < width; f++) {
    const name = `field${depth}x${f}`;
    out.push(`${indent}${name}:`);
    out.push(`${indent}  description: |-`);
    for (let l = 0; l < 3; l++) out.push(`${indent}    ${sentence(seed + f + l, 14)}`);
    if (depth > 0 && f < 2) {
      out.push(`${indent}  type: object`, `${indent}  properties:`);
      schemaLines(`${indent}    `, depth - 1, width, seed + f + 1, out);
    } else if (f % 3 === 0) {
      out.push(`${indent}  type: array`, `${indent}  items:`, `${indent}    type: string`);
    } else if (f % 3 === 1) {
      out.push(`${indent}  type: integer`, `${indent}  format: int32`);
    } else {
      out.push(`${indent}  type: string`, `${indent}  enum: [Always, Never, IfNotPresent]`);
    }
  }
}

function crd(n: number, out: string[]): void {
  const plural = `widgets${n}`;
  out.push(
    '        - apiVersion: apiextensions.k8s.io/v1',
    '          kind: CustomResourceDefinition',
    '          metadata:',
    `            name: ${plural}.monitoring.example.com`,
    '            annotations:',
    '              controller-gen.kubebuilder.io/version: v0.16.0',
    '          spec:',
    '            group: monitoring.example.com',
    '            scope: Namespaced',
    `            names: { kind: Widget${n}, plural: ${plural}, singular: widget${n}, listKind: Widget${n}List }`,
    '            versions:',
    '              - name: v1',
    '                served: true',
    '                storage: true',
    '                subresources: { status: {} }',
    '                schema:',
    '                  openAPIV3Schema:',
    '                    type: object',
    '                    description: |-',
    `                      ${sentence(n, 20)}`,
    `                      ${sentence(n + 1, 20)}`,
    '                    properties:',
    '                      apiVersion: { type: string }',
    '                      kind: { type: string }',
    '                      metadata: { type: object }',
    '                      spec:',
    '                        type: object',
    '                        properties:',
  );
  schemaLines('                          ', 4, 4, n, out);
  out.push('                      status:', '                        type: object', '                        x-kubernetes-preserve-unknown-fields: true');
}

function dashboard(n: number, out: string[]): void {
  out.push(
    '        - apiVersion: v1',
    '          kind: ConfigMap',
    '          metadata:',
    `            name: dashboard-${n}`,
    '            labels: { grafana_dashboard: "1" }',
    '          data:',
    `            dashboard-${n}.json: |-`,
    '              {',
    '                "annotations": { "list": [] },',
    '                "editable": true,',
    '                "panels": [',
  );
  for (let p = 0; p < 12; p++) {
    out.push(
      '                  {',
      `                    "id": ${p + 1},`,
      `                    "title": "Panel ${p} of dashboard ${n}",`,
      '                    "type": "timeseries",',
      '                    "datasource": { "type": "prometheus", "uid": "$${datasource}" },',
      `                    "gridPos": { "h": 8, "w": 12, "x": ${(p % 2) * 12}, "y": ${Math.floor(p / 2) * 8} },`,
      '                    "targets": [',
      `                      { "expr": "sum(rate(http_requests_total{job=\\"app-${n}\\"}[5m])) by (code)", "legendFormat": "{{code}}", "refId": "A" }`,
      '                    ],',
      '                    "fieldConfig": { "defaults": { "unit": "reqps", "thresholds": { "mode": "absolute", "steps": [{ "color": "green", "value": null }] } } }',
      `                  }${p < 11 ? ',' : ''}`,
    );
  }
  out.push('                ],', `                "title": "Dashboard ${n}",`, '                "schemaVersion": 39', '              }');
}

function workload(n: number, out: string[]): void {
  out.push(
    '        - apiVersion: apps/v1',
    '          kind: Deployment',
    '          metadata:',
    `            name: app-${n}`,
    `            labels: { app.kubernetes.io/name: app-${n}, app.kubernetes.io/part-of: stack }`,
    '          spec:',
    '            replicas: "${replicas}"',
    '            revisionHistoryLimit: 3',
    `            selector: { matchLabels: { app.kubernetes.io/name: app-${n} } }`,
    '            template:',
    `              metadata: { labels: { app.kubernetes.io/name: app-${n} } }`,
    '              spec:',
    `                serviceAccountName: app-${n}`,
    '                containers:',
    '                  - name: app',
    '                    image: "${image}"',
    '                    command: [/bin/sh, -c]',
    '                    args:',
    '                      - |',
    '                        set -e',
    '                        echo "starting $(hostname)"',
    '                        exec /app --config /etc/app/config.yaml',
    '                    ports:',
    '                      - { containerPort: 8080, name: http }',
    '                      - { containerPort: 9090, name: metrics }',
    '                    readinessProbe: { httpGet: { path: /healthz, port: http }, periodSeconds: 10 }',
    '                    resources: { requests: { cpu: 100m, memory: 128Mi }, limits: { memory: 512Mi } }',
    '                    volumeMounts: [{ name: config, mountPath: /etc/app }]',
    '                volumes:',
    `                  - { name: config, configMap: { name: app-${n}-config } }`,
    '        - apiVersion: v1',
    '          kind: Service',
    '          metadata:',
    `            name: app-${n}`,
    '          spec:',
    `            selector: { app.kubernetes.io/name: app-${n} }`,
    '            ports:',
    '              - { name: http, port: 80, targetPort: http }',
    '              - { name: metrics, port: 9090, targetPort: metrics }',
    '        - apiVersion: v1',
    '          kind: ServiceAccount',
    `          metadata: { name: app-${n} }`,
    '        - apiVersion: rbac.authorization.k8s.io/v1',
    '          kind: Role',
    `          metadata: { name: app-${n} }`,
    '          rules:',
    '            - { apiGroups: [""], resources: [configmaps, secrets], verbs: [get, list, watch] }',
    '            - { apiGroups: [monitoring.example.com], resources: ["*"], verbs: ["*"] }',
    '        - apiVersion: rbac.authorization.k8s.io/v1',
    '          kind: RoleBinding',
    `          metadata: { name: app-${n} }`,
    `          roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: app-${n} }`,
    `          subjects: [{ kind: ServiceAccount, name: app-${n} }]`,
    '        - apiVersion: v1',
    '          kind: ConfigMap',
    `          metadata: { name: app-${n}-config }`,
    '          data:',
    '            config.yaml: |',
    '              server:',
    '                port: 8080',
    '                timeout: 30s',
    '              logging:',
    '                level: info',
  );
}

/** A real-shaped profile of about `lines` lines; `salt` makes each text different (no caching between runs). */
export function realShapedProfile(lines: number, salt: string): string {
  const out = [
    `# ${salt}`,
    'apiVersion: kplane.dev/v1alpha1',
    'kind: ClusterProfile',
    'metadata:',
    '  name: real-shaped',
    'spec:',
    '  version: 1.0.0',
    '  variables:',
    '    - { name: replicas, type: integer, default: 2 }',
    '    - { name: image, type: string, default: "registry.example.com/app:1.0" }',
    '  layers:',
  ];
  // Proportions of Argo CD's and kube-prometheus' installs: about half CRDs, a fifth dashboards.
  const budget = lines - 30;
  out.push('    - name: crds', '      manifests:');
  for (let n = 0; out.length < budget * 0.5; n++) crd(n, out);
  out.push('    - name: dashboards', '      namespace: monitoring', '      dependsOn: [crds]', '      manifests:');
  for (let n = 0; out.length < budget * 0.7; n++) dashboard(n, out);
  out.push('    - name: apps', '      namespace: stack', '      dependsOn: [crds]', '      manifests:');
  for (let n = 0; out.length < budget; n++) workload(n, out);
  // Mistakes: one both servers see (profile schema), and manifest ones only ours checks.
  out.push(
    '    - name: broken',
    '      wiat: true',
    '      manifests:',
    '        - apiVersion: apps/v1',
    '          kind: Deployment',
    '          metadata: { name: broken }',
    '          spec:',
    '            replicas: three',
    '            revisionHistroyLimit: 3',
    '            selector: { matchLabels: { app: broken } }',
    '            template:',
    '              metadata: { labels: { app: broken } }',
    '              spec:',
    '                containers: [{ name: app, image: nginx }]',
  );
  return out.join('\n') + '\n';
}

/** The line of an edit inside one object halfway through (a Deployment's containerPort), and its column. */
export function realShapedEditPoint(text: string): { line: number; character: number } {
  const lines = text.split('\n');
  const line = lines.findIndex((l, i) => i > lines.length / 2 && l.includes('{ containerPort: 8080, name: http }'));
  return { line, character: lines[line].indexOf('8080') + 3 };
}
