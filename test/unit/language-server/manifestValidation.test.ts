/**
 * Every manifest of a profile against the built-in Kubernetes API (generated from the bed's real
 * kube-apiserver by scripts/gen-kube-schemas.mjs) and the profile's own CRDs: each rule on an
 * exact range, the mistakes of issue 14, variable typing, and hand-written valid manifests of the
 * common kinds that must give no finding at all.
 */
import { strict as assert } from 'node:assert';
import type { Diagnostic } from 'vscode-languageserver-types';
import { builtinKubeTypes } from '@kplane/language-server/kube-schemas';
import { getLanguageService, textDocument } from '@kplane/language-server';
import { removedApi, isRemovedBy, REMOVED_APIS, isKnownClusterScoped } from '@kplane/profile';
import { expectOne, rangeOf } from './helpers.js';

const URI = 'file:///work/manifests.profile.yaml';

/** A profile whose one layer holds `manifests` (YAML list items, indented by 8). */
function profile(manifests: string, variables = ''): string {
  return `apiVersion: kplane.dev/v1alpha1
kind: ClusterProfile
metadata:
  name: checks
spec:
  version: 1.0.0
${variables}  layers:
    - name: apps
      namespace: web
      manifests:
${manifests
  .replace(/^\n/, '')
  .split('\n')
  .map((line) => (line ? `        ${line}` : line))
  .join('\n')}`;
}

function diagnose(text: string, kubeVersion?: string): Diagnostic[] {
  return getLanguageService({ kubeTypes: builtinKubeTypes, kubeVersion }).doValidation(textDocument(URI, text));
}

/** A diagnostic's message as plain text. */
function text_(d: Diagnostic): string {
  return typeof d.message === 'string' ? d.message : (d.message as { value: string }).value;
}

function describe_(d: Diagnostic[]): string {
  return JSON.stringify(d.map((x) => [x.code, x.range.start.line, x.message]), null, 1);
}

/** No finding at all (an unused variable of a test profile aside). */
function expectClean(text: string, allowed: readonly string[] = []): void {
  const d = diagnose(text).filter((x) => x.code !== 'UNUSED_VARIABLE' && !allowed.includes(String(x.code)));
  assert.deepEqual(d, [], describe_(d));
}

const deployment = (spec: string, apiVersion = 'apps/v1') => `
- apiVersion: ${apiVersion}
  kind: Deployment
  metadata:
    name: web
    labels: { app: web }
  spec:
${spec}`;

const goodDeploymentSpec = `    replicas: 2
    revisionHistoryLimit: 3
    selector:
      matchLabels: { app: web }
    template:
      metadata:
        labels: { app: web }
      spec:
        containers:
          - name: web
            image: nginx:1.27
            ports:
              - containerPort: 80
                name: http
            resources:
              requests: { cpu: 100m, memory: 128Mi }
              limits: { cpu: 1, memory: 1Gi }`;

describe('manifests against the built-in Kubernetes API', () => {
  it('the data is a real release with the common kinds, their scopes from discovery', () => {
    const kube = builtinKubeTypes();
    assert.match(kube.release, /^v1\.\d+\.\d+/);
    assert.equal(kube.kind('apps/v1', 'Deployment')?.scope, 'Namespaced');
    assert.equal(kube.kind('v1', 'Namespace')?.scope, 'Cluster');
    assert.equal(kube.kind('rbac.authorization.k8s.io/v1', 'ClusterRole')?.scope, 'Cluster');
    assert.ok(isKnownClusterScoped('storage.k8s.io/v1', 'StorageClass'));
    assert.ok(!isKnownClusterScoped('v1', 'ConfigMap'));
  });

  it('the issue\'s mistakes: revisionHistroyLimit, with a quick "did you mean"', () => {
    const text = profile(deployment(goodDeploymentSpec.replace('revisionHistoryLimit', 'revisionHistroyLimit')));
    const d = expectOne(diagnose(text), 'MANIFEST_UNKNOWN_FIELD', rangeOf(text, 'revisionHistroyLimit'));
    assert.match(text_(d), /Deployment has no field "revisionHistroyLimit" in spec: did you mean "revisionHistoryLimit"\?/);
    assert.equal((d.data as { suggestion?: string }).suggestion, 'revisionHistoryLimit');
  });

  it('replicas: three is a wrong type, on the value', () => {
    const text = profile(deployment(goodDeploymentSpec.replace('replicas: 2', 'replicas: three')));
    const d = expectOne(diagnose(text), 'MANIFEST_WRONG_TYPE', rangeOf(text, 'three'));
    assert.match(text_(d), /Deployment spec\.replicas must be an integer, not "three"/);
  });

  it('a Deployment without spec.selector: missing required field on the spec key', () => {
    const text = profile(deployment(goodDeploymentSpec.replace('    selector:\n      matchLabels: { app: web }\n', '')));
    const d = expectOne(diagnose(text), 'MANIFEST_MISSING_FIELD', rangeOf(text, 'spec', 0, 'labels: { app: web }'));
    assert.match(text_(d), /Deployment spec is missing the required field "selector"/);
  });

  it('a container without a name', () => {
    const text = profile(deployment(goodDeploymentSpec.replace('          - name: web\n            image', '          - image')));
    const d = expectOne(diagnose(text), 'MANIFEST_MISSING_FIELD');
    assert.match(text_(d), /containers\[0\] is missing the required field "name"/);
  });

  it('a Service port "eighty" is a wrong type', () => {
    const text = profile(`
- apiVersion: v1
  kind: Service
  metadata: { name: web }
  spec:
    selector: { app: web }
    ports:
      - port: "eighty"
        targetPort: http`);
    const d = expectOne(diagnose(text), 'MANIFEST_WRONG_TYPE', rangeOf(text, '"eighty"'));
    assert.match(text_(d), /Service spec\.ports\[0\]\.port must be an integer/);
  });

  it('extensions/v1beta1 Deployment and policy/v1beta1 PDB are removed APIs, with the replacement', () => {
    const text = profile(`${deployment(goodDeploymentSpec, 'extensions/v1beta1')}
- apiVersion: policy/v1beta1
  kind: PodDisruptionBudget
  metadata: { name: web }
  spec:
    minAvailable: 1
    selector: { matchLabels: { app: web } }`);
    const d = diagnose(text).filter((x) => x.code === 'API_REMOVED');
    assert.equal(d.length, 2, describe_(diagnose(text)));
    assert.deepEqual(d[0].range, rangeOf(text, 'extensions/v1beta1'));
    assert.match(text_(d[0]), /Deployment extensions\/v1beta1 was removed in Kubernetes 1\.16 .*use apiVersion: apps\/v1/);
    assert.deepEqual(d[1].range, rangeOf(text, 'policy/v1beta1'));
    assert.match(text_(d[1]), /use apiVersion: policy\/v1/);
    assert.equal((d[1].data as { replacement?: string }).replacement, 'policy/v1');
  });

  it('an older --kube-version still serves the API: a warning that it goes away, not an error', () => {
    const text = profile(`
- apiVersion: policy/v1beta1
  kind: PodDisruptionBudget
  metadata: { name: web }
  spec:
    minAvailable: 1`);
    const d = expectOne(diagnose(text, '1.24'), 'API_DEPRECATED', rangeOf(text, 'policy/v1beta1'));
    assert.equal(d.severity, 2);
    expectOne(diagnose(text, '1.25'), 'API_REMOVED');
    assert.ok(isRemovedBy('1.25', 'v1.25.4') && !isRemovedBy('1.25', '1.24') && isRemovedBy('1.16', '2.0'));
    assert.equal(removedApi('extensions/v1beta1', 'Ingress')?.replacement, 'networking.k8s.io/v1');
    assert.ok(REMOVED_APIS.every((api) => !builtinKubeTypes().kind(api.apiVersion, api.kind)), 'no removed API is served by the built-in release');
  });

  it('kind: Deployment with apiVersion: v1 is not served there; the fix names apps/v1', () => {
    const text = profile(deployment(goodDeploymentSpec, 'v1'));
    const d = expectOne(diagnose(text), 'KIND_NOT_SERVED', rangeOf(text, 'v1', 0, '- apiVersion: '));
    assert.match(text_(d), /Deployment is not served by v1 .*set apiVersion: apps\/v1/);
  });

  it('a misspelt built-in kind gets a "did you mean" on the kind', () => {
    const text = profile(`
- apiVersion: apps/v1
  kind: Deploymnet
  metadata: { name: web }`);
    const d = expectOne(diagnose(text), 'KIND_NOT_SERVED', rangeOf(text, 'Deploymnet'));
    assert.match(text_(d), /did you mean Deployment\?/);
  });

  it('a ConfigMap data value that is a number', () => {
    const text = profile(`
- apiVersion: v1
  kind: ConfigMap
  metadata: { name: settings }
  data:
    depth: 3
    name: "ok"`);
    const d = expectOne(diagnose(text), 'MANIFEST_WRONG_TYPE', rangeOf(text, '3', 0, 'depth: '));
    assert.match(text_(d), /ConfigMap data\.depth must be a string, not the number 3\. YAML reads it as that: put the value in quotes\./);
  });

  it('an Ingress with the old serviceName/servicePort backend says how networking.k8s.io/v1 writes it', () => {
    const text = profile(`
- apiVersion: networking.k8s.io/v1
  kind: Ingress
  metadata: { name: web }
  spec:
    rules:
      - host: example.com
        http:
          paths:
            - path: /
              pathType: Prefix
              backend:
                serviceName: web
                servicePort: 80`);
    const d = diagnose(text).filter((x) => x.code === 'MANIFEST_UNKNOWN_FIELD');
    assert.equal(d.length, 2, describe_(diagnose(text)));
    assert.deepEqual(d[0].range, rangeOf(text, 'serviceName'));
    assert.match(text_(d[0]), /service: \{ name: NAME, port: \{ number: 80 \} \}/);
  });

  it('an enum value, with a guess', () => {
    const text = profile(deployment(goodDeploymentSpec.replace('            image: nginx:1.27', '            image: nginx:1.27\n            imagePullPolicy: Allways')));
    const d = expectOne(diagnose(text), 'MANIFEST_INVALID_ENUM_VALUE', rangeOf(text, 'Allways'));
    assert.match(text_(d), /did you mean Always\?/);
  });

  it('quantities: numbers and suffixed strings pass, words do not', () => {
    const text = profile(deployment(goodDeploymentSpec.replace('memory: 1Gi', 'memory: lots')));
    const d = expectOne(diagnose(text), 'MANIFEST_INVALID_FORMAT', rangeOf(text, 'lots'));
    assert.match(text_(d), /not a Kubernetes quantity/);
  });

  it('int-or-string: targetPort may be a number or a name, not a list', () => {
    const svc = (target: string) =>
      profile(`
- apiVersion: v1
  kind: Service
  metadata: { name: web }
  spec:
    ports:
      - port: 80
        targetPort: ${target}`);
    expectClean(svc('8080'));
    expectClean(svc('http'));
    const text = svc('[80]');
    expectOne(diagnose(text), 'MANIFEST_WRONG_TYPE', rangeOf(text, '[80]'));
  });

  it('list-map keys: two containers with the same name, two ports with the same containerPort/protocol', () => {
    const text = profile(deployment(`    selector:
      matchLabels: { app: web }
    template:
      metadata:
        labels: { app: web }
      spec:
        containers:
          - name: web
            image: nginx
            ports:
              - containerPort: 80
              - containerPort: 80
                protocol: TCP
              - containerPort: 80
                protocol: UDP
          - name: web
            image: busybox`));
    const d = diagnose(text).filter((x) => x.code === 'MANIFEST_DUPLICATE_KEY');
    assert.equal(d.length, 2, describe_(diagnose(text)));
    const messages = d.map(text_).join('\n');
    assert.match(messages, /containerPort 80 and protocol "TCP" as item \[0\]/, 'protocol defaults to TCP');
    assert.match(messages, /name "web" as item \[0\]/);
    assert.ok(d.some((x) => JSON.stringify(x.range) === JSON.stringify(rangeOf(text, 'web', 0, 'protocol: UDP'))));
  });

  it('metadata: label keys and values', () => {
    const text = profile(`
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: settings
    labels:
      "bad key!": x
      app: "has spaces"
      example.com/ok: fine`);
    const d = diagnose(text).filter((x) => x.code === 'MANIFEST_INVALID_LABEL');
    assert.equal(d.length, 2, describe_(diagnose(text)));
    assert.deepEqual(d[0].range, rangeOf(text, '"bad key!"'));
    assert.deepEqual(d[1].range, rangeOf(text, '"has spaces"'));
  });

  it('Secret data must be base64', () => {
    const text = profile(`
- apiVersion: v1
  kind: Secret
  metadata: { name: s }
  data:
    password: not base64!
  stringData:
    plain: not base64 is fine here`);
    expectOne(diagnose(text), 'MANIFEST_INVALID_FORMAT', rangeOf(text, 'not base64!'));
  });

  describe('variables', () => {
    const vars = `  variables:
    - { name: replicas, type: integer, default: 2 }
    - { name: label, type: string, default: x }
    - { name: flag, type: boolean, default: true }
`;
    it('a scalar that is exactly ${name} takes the variable\'s type', () => {
      expectClean(profile(deployment(goodDeploymentSpec.replace('replicas: 2', 'replicas: "${replicas}"')), vars));
      const text = profile(deployment(goodDeploymentSpec.replace('replicas: 2', 'replicas: "${label}"')), vars);
      const d = expectOne(diagnose(text), 'MANIFEST_WRONG_TYPE', rangeOf(text, '"${label}"'));
      assert.match(text_(d), /must be an integer, not "\$\{label\}" \(variable label is a string\)/);
    });

    it('a string with ${…} inside is a string', () => {
      expectClean(profile(deployment(goodDeploymentSpec.replace('image: nginx:1.27', 'image: "nginx:${label}"')), vars));
      const text = profile(deployment(goodDeploymentSpec.replace('replicas: 2', 'replicas: "${replicas}0"')), vars);
      expectOne(diagnose(text), 'MANIFEST_WRONG_TYPE', rangeOf(text, '"${replicas}0"'));
    });

    it('a boolean variable where a boolean belongs', () => {
      expectClean(profile(deployment(goodDeploymentSpec.replace('            image: nginx:1.27', '            image: nginx:1.27\n            tty: "${flag}"')), vars));
    });
  });

  describe("the profile's own CRDs", () => {
    const crd = `
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
        schema:
          openAPIV3Schema:
            type: object
            properties:
              spec:
                type: object
                required: [color]
                properties:
                  color: { type: string, enum: [red, blue] }
                  size: { anyOf: [{ type: integer }, { type: string }], x-kubernetes-int-or-string: true }
                  extra: { type: object, x-kubernetes-preserve-unknown-fields: true }
                  child: { type: object, properties: { child: { type: object, properties: { name: { type: string } } } } }`;
    const widget = (spec: string, apiVersion = 'example.com/v1') => `
- apiVersion: ${apiVersion}
  kind: Widget
  metadata: { name: w, labels: { app: web } }
  spec:
${spec}`;

    it('make their kinds known: enum, unknown field, preserve-unknown-fields', () => {
      expectClean(profile(crd + widget('    color: red\n    size: 3\n    extra: { anything: [1, 2] }\n    child: { child: { name: x } }')));
      const text = profile(crd + widget('    color: green\n    colour: red'));
      const d = diagnose(text);
      const enumFinding = expectOne(d, 'MANIFEST_INVALID_ENUM_VALUE', rangeOf(text, 'green'));
      assert.match(text_(enumFinding), /Widget spec\.color is "green"; it must be one of red, blue/);
      expectOne(d, 'MANIFEST_UNKNOWN_FIELD', rangeOf(text, 'colour'));
    });

    it('a version the CRD does not serve is reported with the CRD', () => {
      const text = profile(crd + widget('    color: red', 'example.com/v2'));
      const d = expectOne(diagnose(text), 'KIND_NOT_SERVED', rangeOf(text, 'example.com/v2'));
      assert.match(text_(d), /CustomResourceDefinition widgets\.example\.com serves example\.com\/v1/);
    });

    it('a custom kind nobody defines is not an error: one note on its kind says it was not checked', () => {
      const text = profile(`
- apiVersion: cert-manager.io/v1
  kind: Certificate
  metadata: { name: c }
  spec: { anything: goes }`);
      const d = expectOne(diagnose(text).filter((x) => x.code !== 'UNUSED_VARIABLE'), 'MANIFEST_KIND_UNKNOWN', rangeOf(text, 'Certificate'));
      assert.equal(d.severity, 3);
      assert.match(text_(d), /Certificate cert-manager\.io\/v1 was not checked: .*kplane validate --context/);
    });

    it('a CRD schema with no properties at all, and a deeply nested custom resource, stay bounded', () => {
      let nested = '{ leaf: 1 }';
      for (let i = 0; i < 150; i++) nested = `{ a: ${nested} }`;
      const text = profile(crd + widget(`    color: red\n    extra: ${nested}`));
      expectClean(text);
    });
  });

  describe('valid hand-written manifests give no finding', () => {
    it('Deployment, StatefulSet, DaemonSet, Job, CronJob', () => {
      const podSpec = (indent: string) =>
        `containers:
  - name: app
    image: registry.example.com/app:1.2.3
    args: ["--port=8080"]
    env:
      - { name: MODE, value: production }
      - name: POD
        valueFrom: { fieldRef: { fieldPath: metadata.name } }
    ports:
      - { containerPort: 8080, name: http, protocol: TCP }
    readinessProbe:
      httpGet: { path: /healthz, port: http }
      periodSeconds: 5
    livenessProbe:
      tcpSocket: { port: 8080 }
    resources:
      requests: { cpu: 250m, memory: 64Mi }
      limits: { cpu: "1", memory: 512Mi, ephemeral-storage: 1Gi }
    volumeMounts:
      - { name: data, mountPath: /data }
    securityContext:
      runAsNonRoot: true
      allowPrivilegeEscalation: false
      capabilities: { drop: [ALL] }
volumes:
  - name: data
    emptyDir: { sizeLimit: 1Gi }
tolerations:
  - { key: dedicated, operator: Equal, value: app, effect: NoSchedule }
affinity:
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: kubernetes.io/hostname
          labelSelector: { matchLabels: { app: app } }`
          .split('\n')
          .map((l) => indent + l)
          .join('\n');
      expectClean(
        profile(`
- apiVersion: apps/v1
  kind: Deployment
  metadata: { name: app, labels: { app.kubernetes.io/name: app }, annotations: { example.com/note: "any text at all" } }
  spec:
    replicas: 3
    strategy: { type: RollingUpdate, rollingUpdate: { maxSurge: 25%, maxUnavailable: 0 } }
    selector: { matchLabels: { app: app } }
    template:
      metadata: { labels: { app: app } }
      spec:
${podSpec('        ')}
- apiVersion: apps/v1
  kind: StatefulSet
  metadata: { name: db }
  spec:
    serviceName: db
    replicas: 1
    selector: { matchLabels: { app: db } }
    template:
      metadata: { labels: { app: db } }
      spec:
${podSpec('        ')}
    volumeClaimTemplates:
      - metadata: { name: data }
        spec:
          accessModes: [ReadWriteOnce]
          resources: { requests: { storage: 10Gi } }
- apiVersion: apps/v1
  kind: DaemonSet
  metadata: { name: agent }
  spec:
    selector: { matchLabels: { app: agent } }
    updateStrategy: { type: RollingUpdate, rollingUpdate: { maxUnavailable: 1 } }
    template:
      metadata: { labels: { app: agent } }
      spec:
        hostNetwork: true
${podSpec('        ')}
- apiVersion: batch/v1
  kind: Job
  metadata: { name: migrate }
  spec:
    backoffLimit: 2
    ttlSecondsAfterFinished: 600
    template:
      spec:
        restartPolicy: Never
${podSpec('        ')}
- apiVersion: batch/v1
  kind: CronJob
  metadata: { name: nightly }
  spec:
    schedule: "0 3 * * *"
    concurrencyPolicy: Forbid
    jobTemplate:
      spec:
        template:
          spec:
            restartPolicy: OnFailure
${podSpec('            ')}`),
        // The node agent's hostNetwork is valid against the API, and gets the PRIVILEGED_POD warning (test/unit/cli-validate.test.ts).
        ['PRIVILEGED_POD'],
      );
    });

    it('Service, Ingress, NetworkPolicy, RBAC, PDB, HPA, ConfigMap, Secret, ServiceAccount, Namespace', () => {
      expectClean(
        profile(`
- apiVersion: v1
  kind: Namespace
  metadata: { name: web, labels: { pod-security.kubernetes.io/enforce: restricted } }
- apiVersion: v1
  kind: Service
  metadata: { name: app }
  spec:
    type: ClusterIP
    selector: { app: app }
    ports:
      - { name: http, port: 80, targetPort: http, protocol: TCP }
      - { name: metrics, port: 9090, targetPort: 9090 }
- apiVersion: networking.k8s.io/v1
  kind: Ingress
  metadata: { name: app, annotations: { nginx.ingress.kubernetes.io/rewrite-target: / } }
  spec:
    ingressClassName: nginx
    tls:
      - { hosts: [app.example.com], secretName: app-tls }
    rules:
      - host: app.example.com
        http:
          paths:
            - path: /
              pathType: Prefix
              backend:
                service: { name: app, port: { number: 80 } }
            - path: /api
              pathType: ImplementationSpecific
              backend:
                service: { name: api, port: { name: http } }
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata: { name: app }
  spec:
    podSelector: { matchLabels: { app: app } }
    policyTypes: [Ingress, Egress]
    ingress:
      - from:
          - namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: ingress } }
          - podSelector: { matchExpressions: [{ key: role, operator: In, values: [frontend] }] }
        ports:
          - { protocol: TCP, port: 8080 }
    egress:
      - to:
          - ipBlock: { cidr: 10.0.0.0/8, except: [10.1.0.0/16] }
- apiVersion: v1
  kind: ServiceAccount
  metadata: { name: app }
- apiVersion: rbac.authorization.k8s.io/v1
  kind: Role
  metadata: { name: app }
  rules:
    - apiGroups: [""]
      resources: [configmaps, secrets]
      verbs: [get, list, watch]
- apiVersion: rbac.authorization.k8s.io/v1
  kind: RoleBinding
  metadata: { name: app }
  roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: app }
  subjects:
    - { kind: ServiceAccount, name: app, namespace: web }
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRole
  metadata: { name: "system:app-reader" }
  rules:
    - { apiGroups: [apps], resources: [deployments], verbs: ["*"] }
    - { nonResourceURLs: [/metrics], verbs: [get] }
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRoleBinding
  metadata: { name: app-reader }
  roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:app-reader" }
  subjects:
    - { kind: ServiceAccount, name: app, namespace: web }
- apiVersion: policy/v1
  kind: PodDisruptionBudget
  metadata: { name: app }
  spec:
    maxUnavailable: 50%
    selector: { matchLabels: { app: app } }
- apiVersion: autoscaling/v2
  kind: HorizontalPodAutoscaler
  metadata: { name: app }
  spec:
    scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: app }
    minReplicas: 2
    maxReplicas: 10
    metrics:
      - type: Resource
        resource: { name: cpu, target: { type: Utilization, averageUtilization: 70 } }
- apiVersion: v1
  kind: ConfigMap
  metadata: { name: dashboards }
  data:
    dashboard.json: |
      { "panels": [ { "id": 1, "type": "graph" } ] }
    count: "3"
- apiVersion: v1
  kind: Secret
  metadata: { name: app-tls }
  type: kubernetes.io/tls
  data:
    tls.crt: LS0tLS1CRUdJTg==
    tls.key: LS0tLS1CRUdJTg==`),
      );
    });
  });

  describe('quick fixes', () => {
    const fix = (text: string, code: string): string => {
      const service = getLanguageService({ kubeTypes: builtinKubeTypes });
      const document = textDocument(URI, text);
      const diagnostic = service.doValidation(document).find((d) => d.code === code);
      assert.ok(diagnostic, `no ${code}`);
      const actions = service.getCodeActions(document, diagnostic.range, [diagnostic]);
      assert.equal(actions.length, 1, JSON.stringify(actions));
      const edits = actions[0].edit?.changes?.[URI] ?? [];
      assert.equal(edits.length, 1);
      const start = document.offsetAt(edits[0].range.start);
      const end = document.offsetAt(edits[0].range.end);
      return text.slice(0, start) + edits[0].newText + text.slice(end);
    };

    it('a misspelt field is renamed, and the result is clean', () => {
      const good = profile(deployment(goodDeploymentSpec));
      const fixed = fix(profile(deployment(goodDeploymentSpec.replace('revisionHistoryLimit', 'revisionHistroyLimit'))), 'MANIFEST_UNKNOWN_FIELD');
      assert.equal(fixed, good);
      expectClean(fixed);
    });

    it('a removed apiVersion is replaced', () => {
      const fixed = fix(profile(deployment(goodDeploymentSpec, 'extensions/v1beta1')), 'API_REMOVED');
      assert.equal(fixed, profile(deployment(goodDeploymentSpec)));
    });

    it('a wrong apiVersion for the kind, and an enum value', () => {
      assert.equal(fix(profile(deployment(goodDeploymentSpec, 'v1')), 'KIND_NOT_SERVED'), profile(deployment(goodDeploymentSpec)));
      const withPolicy = (p: string) => profile(deployment(goodDeploymentSpec.replace('            image: nginx:1.27', `            image: nginx:1.27\n            imagePullPolicy: ${p}`)));
      assert.equal(fix(withPolicy('Allways'), 'MANIFEST_INVALID_ENUM_VALUE'), withPolicy('Always'));
    });
  });

  it('bounded: a manifest with 10,000 containers', () => {
    const containers = Array.from({ length: 10_000 }, (_, i) => `          - { name: c${i}, image: busybox, ports: [{ containerPort: ${i % 60000 + 1} }] }`).join('\n');
    const text = profile(deployment(`    selector: { matchLabels: { app: web } }
    template:
      metadata: { labels: { app: web } }
      spec:
        containers:
${containers}`));
    const d = diagnose(text).filter((x) => x.severity === 1);
    assert.deepEqual(d, []);
  });
});
