/**
 * The cluster's local policy (agent/src/core/policy.ts) and the Pod Security Standards check it
 * uses (profile/src/podSecurity.ts): parsing with named problems, namespace/kind rules, the kinds
 * refused unless named, PSS baseline/restricted on every workload kind, the policy ConfigMap
 * itself, adoption. Pure; the cluster test (test/cluster/localPolicy.test.ts) runs it in the agent.
 */
import assert from 'node:assert/strict';
import { podSecurityProblems, type Manifest } from '@kplane/profile';
import { adoptionViolation, DEFAULT_POLICY, globMatch, keptMessage, keptOnDelete, kindMatches, parsePolicy, policyViolations, violationsMessage, type LocalPolicy } from '@kplane/agent/core';

const SRC = 'ConfigMap kplane-system/kplane-policy';
const self = { namespace: 'kplane-system' };
const policy = (yaml: string): LocalPolicy => {
  const parsed = parsePolicy(yaml, SRC);
  assert.deepEqual(parsed.problems, []);
  return parsed.policy!;
};
const cm = (name: string, namespace?: string): Manifest => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(namespace ? { namespace } : {}) } }) as Manifest;
const obj = (apiVersion: string, kind: string, name: string, namespace?: string, rest: Record<string, unknown> = {}): Manifest =>
  ({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) }, ...rest }) as Manifest;
const check = (p: LocalPolicy, ...objects: [Manifest, boolean?][]) => policyViolations(p, objects.map(([manifest, clusterScoped]) => ({ manifest, clusterScoped: clusterScoped ?? false })), self);

/** The audit's example: a privileged DaemonSet mounting the host's / with the host network, in kube-system. */
const hostileDaemonSet = obj('apps/v1', 'DaemonSet', 'node-root', 'kube-system', {
  spec: {
    selector: { matchLabels: { app: 'x' } },
    template: {
      metadata: { labels: { app: 'x' } },
      spec: {
        hostNetwork: true,
        hostPID: true,
        serviceAccountName: 'admin',
        volumes: [{ name: 'root', hostPath: { path: '/' } }],
        containers: [{ name: 'sh', image: 'busybox', securityContext: { privileged: true, capabilities: { add: ['SYS_ADMIN'] } }, ports: [{ containerPort: 22, hostPort: 22 }] }],
      },
    },
  },
});
const restrictedPod = {
  securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
  containers: [{ name: 'web', image: 'nginx', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } } }],
  volumes: [{ name: 'cfg', configMap: { name: 'c' } }],
};

describe('agent core: local policy', () => {
  it('parses a full policy, and defaults podSecurity to baseline and adoption to off', () => {
    const p = policy('namespaces: { allow: ["team-*"], deny: [kube-system] }\nkinds: { allow: ["apps/*", core/ConfigMap], deny: [core/Secret] }\npodSecurity: restricted\nadoptExisting: true\n');
    assert.deepEqual(p, { namespaces: { allow: ['team-*'], deny: ['kube-system'] }, kinds: { allow: ['apps/*', 'core/ConfigMap'], deny: ['core/Secret'] }, podSecurity: 'restricted', adoptExisting: true, source: SRC });
    const empty = policy('');
    assert.equal(empty.podSecurity, 'baseline');
    assert.equal(empty.adoptExisting, false);
    assert.equal(empty.kinds.allow, undefined);
  });

  it('names every problem of an invalid policy, and returns no policy (the agent then refuses every profile)', () => {
    const parsed = parsePolicy('namespace: [a]\nkinds: { allow: core/Secret, deny: [a/b/c] }\npodSecurity: strict\nadoptExisting: "yes"\n', SRC);
    assert.equal(parsed.policy, undefined);
    assert.deepEqual(parsed.problems, [
      `${SRC}: unknown field "namespace" in policy.yaml (known: namespaces, kinds, podSecurity, adoptExisting)`,
      `${SRC}: kinds.allow must be a list of non-empty strings`,
      `${SRC}: kinds.deny entry "a/b/c" is not Kind, group/Kind or group/* (core group: core)`,
      `${SRC}: podSecurity "strict" is not one of privileged, baseline, restricted`,
      `${SRC}: adoptExisting must be true or false`,
    ]);
    assert.match(parsePolicy('kinds: [', SRC).problems[0], /policy\.yaml is not valid YAML/);
    assert.match(parsePolicy('- a', SRC).problems[0], /must be a mapping/);
    // An alias bomb is refused, not expanded.
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`)].join('\n');
    assert.match(parsePolicy(bomb, SRC).problems[0], /cannot be read/);
  });

  it('matches globs and kinds (Kind, group/Kind, group/*, core, *)', () => {
    assert.ok(globMatch('team-*', 'team-a'));
    assert.ok(!globMatch('team-*', 'teams'));
    assert.ok(globMatch('*-prod-*', 'eu-prod-1'));
    assert.ok(!globMatch('a*a', 'a'));
    assert.ok(kindMatches('ConfigMap', 'v1', 'ConfigMap'));
    assert.ok(kindMatches('core/*', 'v1', 'Secret'));
    assert.ok(!kindMatches('core/*', 'apps/v1', 'Deployment'));
    assert.ok(kindMatches('apps/*', 'apps/v1', 'Deployment'));
    assert.ok(kindMatches('rbac.authorization.k8s.io/ClusterRoleBinding', 'rbac.authorization.k8s.io/v1', 'ClusterRoleBinding'));
    assert.ok(kindMatches('*', 'x.io/v1', 'Widget'));
  });

  it('refuses denied and not-allowed namespaces, a Namespace by its name, and leaves other cluster-scoped objects to the kind rules', () => {
    const p = policy('namespaces: { allow: ["team-*", default], deny: [team-secret] }');
    const v = check(p, [cm('a', 'team-a')], [cm('b', 'kube-system')], [cm('c', 'team-secret')], [cm('d')], [obj('v1', 'Namespace', 'kube-public'), true], [obj('storage.k8s.io/v1', 'StorageClass', 'fast'), true]);
    assert.deepEqual(v.map((x) => [x.ref.name, x.rule]), [
      ['b', 'namespaces.allow: [team-*, default]'],
      ['c', 'namespaces.deny: team-secret'],
      ['kube-public', 'namespaces.allow: [team-*, default]'],
    ]);
    assert.equal(v[0].message, `ConfigMap kube-system/b: namespace kube-system is not allowed (namespaces.allow: [team-*, default] in ${SRC}); the cluster's admin can change ${SRC}`);
  });

  it('refuses RBAC, admission webhooks, CRDs and APIServices unless kinds.allow names them; a bare * does not', () => {
    const crb = obj('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'root');
    const hook = obj('admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', 'spy');
    const crd = obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.x.io');
    const svc = obj('apiregistration.k8s.io/v1', 'APIService', 'v1.x.io');
    const star = check(policy('kinds: { allow: ["*"] }'), [crb, true], [hook, true], [crd, true], [svc, true], [cm('ok', 'default')]);
    assert.deepEqual(star.map((x) => `${x.ref.kind}: ${x.rule}`), ['ClusterRoleBinding: kinds.allow', 'MutatingWebhookConfiguration: kinds.allow', 'CustomResourceDefinition: kinds.allow', 'APIService: kinds.allow']);
    assert.match(star[0].message, /kind rbac\.authorization\.k8s\.io\/ClusterRoleBinding is refused unless kinds\.allow names it: RBAC grants permissions .*\(add rbac\.authorization\.k8s\.io\/\* to kinds\.allow\)/);
    assert.deepEqual(check(policy('kinds: { allow: ["*", "rbac.authorization.k8s.io/*", CustomResourceDefinition] }'), [crb, true], [crd, true]), []);
    // deny wins over allow
    const denied = check(policy('kinds: { allow: ["apps/*", "core/*"], deny: [core/Secret] }'), [obj('v1', 'Secret', 's', 'default')], [obj('batch/v1', 'Job', 'j', 'default')], [cm('c', 'default')]);
    assert.deepEqual(denied.map((x) => `${x.ref.kind}: ${x.rule}`), ['Secret: kinds.deny: core/Secret', 'Job: kinds.allow: [apps/*, core/*]']);
  });

  it('refuses the privileged hostPath DaemonSet in kube-system under baseline, naming each field', () => {
    const v = check(policy('podSecurity: baseline'), [hostileDaemonSet]);
    assert.equal(v.length, 1);
    assert.equal(v[0].rule, 'podSecurity: baseline');
    assert.match(v[0].message, /^DaemonSet kube-system\/node-root: its pod template breaks the Pod Security Standard "baseline": spec\.template\.spec\.hostNetwork is true; spec\.template\.spec\.hostPID is true; spec\.template\.spec\.volumes\[root\] is a hostPath volume \(\/\) \(and 3 more\)/);
    const all = podSecurityProblems(hostileDaemonSet, 'baseline');
    assert.deepEqual(all.slice(3), [
      'spec.template.spec.containers[sh].securityContext.privileged is true',
      'spec.template.spec.containers[sh].securityContext.capabilities.add has SYS_ADMIN',
      'spec.template.spec.containers[sh].ports uses hostPort 22',
    ]);
    assert.deepEqual(check(policy('podSecurity: privileged'), [hostileDaemonSet]), []);
  });

  it('checks the pod template of every workload kind, and restricted on top of baseline', () => {
    const plain = { containers: [{ name: 'web', image: 'nginx' }] };
    const kinds: [string, string, Record<string, unknown>][] = [
      ['v1', 'Pod', { spec: plain }],
      ['v1', 'PodTemplate', { template: { spec: plain } }],
      ['apps/v1', 'Deployment', { spec: { template: { spec: plain } } }],
      ['apps/v1', 'StatefulSet', { spec: { template: { spec: plain } } }],
      ['apps/v1', 'ReplicaSet', { spec: { template: { spec: plain } } }],
      ['batch/v1', 'Job', { spec: { template: { spec: plain } } }],
      ['batch/v1', 'CronJob', { spec: { jobTemplate: { spec: { template: { spec: plain } } } } }],
      ['v1', 'ReplicationController', { spec: { template: { spec: plain } } }],
    ];
    for (const [apiVersion, kind, rest] of kinds) {
      const m = obj(apiVersion, kind, 'w', 'default', rest);
      assert.deepEqual(podSecurityProblems(m, 'baseline'), [], kind);
      const restricted = podSecurityProblems(m, 'restricted');
      assert.equal(restricted.length, 4, `${kind}: ${restricted.join('; ')}`);
      assert.match(restricted[0], /containers\[web\]\.securityContext\.allowPrivilegeEscalation is not false/);
    }
    assert.deepEqual(podSecurityProblems(obj('v1', 'Pod', 'p', 'default', { spec: restrictedPod }), 'restricted'), []);
    const hostile = { ...restrictedPod, volumes: [{ name: 'n', nfs: { server: 'x', path: '/' } }], securityContext: { ...restrictedPod.securityContext, runAsUser: 0 } };
    assert.deepEqual(podSecurityProblems(obj('v1', 'Pod', 'p', 'default', { spec: hostile }), 'restricted'), ['spec.volumes[n] is a nfs volume (restricted allows configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret)', 'spec.securityContext.runAsUser is 0']);
    // Any shape: nothing throws, nothing is found where there is no pod template.
    for (const odd of [null, 1, 'x', [], { kind: 'Deployment', spec: { template: { spec: { containers: 'x', volumes: [null, 1], securityContext: [] } } } }, { kind: 'Pod', spec: { containers: [null, { securityContext: 'x' }] } }]) {
      assert.doesNotThrow(() => podSecurityProblems(odd, 'restricted'));
    }
  });

  it('never lets a profile change the policy itself, not even under the default policy', () => {
    const v = check(DEFAULT_POLICY, [cm('kplane-policy', 'kplane-system')], [cm('kplane-policy', 'other')]);
    assert.deepEqual(v.map((x) => x.message), ["ConfigMap kplane-system/kplane-policy: is the local policy itself, which no profile may change (built-in in the agent's default policy (no ConfigMap kplane-system/kplane-policy)); only the cluster's admin edits it, with kubectl"]);
  });

  it('the default policy (no ConfigMap) allows every kind and namespace as before, but adopts nothing', () => {
    assert.deepEqual(check(DEFAULT_POLICY, [hostileDaemonSet], [obj('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'x'), true], [obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'w.x.io'), true]), []);
    assert.equal(DEFAULT_POLICY.adoptExisting, false);
    const a = adoptionViolation(DEFAULT_POLICY, { apiVersion: 'v1', kind: 'Namespace', name: 'prod' }, self);
    assert.equal(a.rule, 'adoptExisting: false');
    assert.match(a.message, /^Namespace prod: exists on the cluster and was not created by kplane; taking it over is off \(adoptExisting: false in the agent's default policy \(no ConfigMap kplane-system\/kplane-policy\)\).*sets adoptExisting: true in ConfigMap kplane-system\/kplane-policy$/);
  });

  it('sums many violations up in one status message', () => {
    const v = check(policy('namespaces: { deny: ["*"] }'), ...Array.from({ length: 5 }, (_, i): [Manifest] => [cm(`c${i}`, `n${i}`)]));
    const message = violationsMessage(v);
    assert.match(message, /^The cluster's local policy refuses 5 object\(s\); nothing of this profile was applied\. ConfigMap n0\/c0: .*ConfigMap n2\/c2: .*\. \(and 2 more\)$/);
  });
});

describe('agent core: what prune and profile deletion leave in place', () => {
  const live = (apiVersion: string, kind: string, annotations?: Record<string, string>) => ({ apiVersion, kind, metadata: { name: 'x', ...(annotations ? { annotations } : {}) } });
  it('an adopted object always; a Namespace or CRD unless annotated kplane.dev/prune: "true"; anything else never', () => {
    assert.equal(keptOnDelete(live('v1', 'ConfigMap', { 'kplane.dev/adopted': 'true' })), 'adopted');
    assert.equal(keptOnDelete(live('v1', 'Namespace', { 'kplane.dev/adopted': 'true', 'kplane.dev/prune': 'true' })), 'adopted');
    assert.equal(keptOnDelete(live('v1', 'Namespace')), 'cascades');
    assert.equal(keptOnDelete(live('apiextensions.k8s.io/v1', 'CustomResourceDefinition', { 'kplane.dev/prune': 'yes' })), 'cascades');
    assert.equal(keptOnDelete(live('v1', 'Namespace', { 'kplane.dev/prune': 'true' })), undefined);
    assert.equal(keptOnDelete(live('apiextensions.k8s.io/v1', 'CustomResourceDefinition', { 'kplane.dev/prune': 'true' })), undefined);
    assert.equal(keptOnDelete(live('v1', 'ConfigMap')), undefined);
    assert.equal(keptOnDelete(live('x.io/v1', 'Namespace')), undefined, 'a custom kind named Namespace is not the core Namespace');
    assert.equal(
      keptMessage([{ ref: { apiVersion: 'v1', kind: 'Namespace', name: 'data' }, why: 'cascades' }]),
      'Left 1 Namespace(s)/CRD(s) in place, with everything in them: Namespace data (kplane deletes one only when the profile annotates it kplane.dev/prune: "true"; delete it with kubectl if nothing else uses it).',
    );
  });
});
