/**
 * The cluster's local policy (agent/src/core/policy.ts) enforced by a real agent on a real
 * kube-apiserver: objects that existed before kplane are neither adopted nor deleted by default;
 * a policy ConfigMap refuses a privileged hostPath DaemonSet in kube-system and a
 * ClusterRoleBinding (SpecValid=False naming each object and rule, an Event, nothing applied);
 * an edit of the policy reaches the profile without touching it; an invalid policy refuses
 * everything; an object adopted with adoptExisting: true outlives the profile, and so does a
 * Namespace the profile created without opting in to its deletion (kplane.dev/prune: "true");
 * `kplane diff` lists those as kept, not pruned, and the agent then keeps them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runKplane, waitFor } from '@kplane/bed';
import { useAgentBed } from './agentBed.js';
import type { ClusterProfile, Condition } from '@kplane/profile';

const NS = 'kplane-system';
const PROFILES = `/apis/kplane.dev/v1alpha1/namespaces/${NS}/clusterprofiles`;
const POLICY = `/api/v1/namespaces/${NS}/configmaps/kplane-policy`;

const kplane = (args: string[]) => runKplane(args);

const cm = (name: string, namespace: string, data: Record<string, string> = { a: 'b' }) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data });
const hostileDaemonSet = {
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'node-root', namespace: 'kube-system' },
  spec: {
    selector: { matchLabels: { app: 'node-root' } },
    template: {
      metadata: { labels: { app: 'node-root' } },
      spec: {
        hostNetwork: true,
        volumes: [{ name: 'root', hostPath: { path: '/' } }],
        containers: [{ name: 'sh', image: 'busybox', securityContext: { privileged: true } }],
      },
    },
  },
};
const clusterAdminBinding = {
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRoleBinding',
  metadata: { name: 'everyone-admin' },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
  subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'system:authenticated' }],
};

describe('agent: the local policy the cluster owns (cluster)', function () {
  const bed = useAgentBed({ cluster: { name: 'local-policy' }, agentArgs: ['--heartbeat', '2s'] });

  const profile = (name: string, manifests: unknown[]): ClusterProfile =>
    ({
      apiVersion: 'kplane.dev/v1alpha1',
      kind: 'ClusterProfile',
      metadata: { name, namespace: NS },
      spec: { version: '1.0.0', reconcile: { mode: 'enforce', prune: true, interval: '1m' }, layers: [{ name: 'all', manifests }] },
    }) as ClusterProfile;
  const applyProfile = (p: ClusterProfile) => bed.api.apply(`${PROFILES}/${p.metadata.name}`, p, 'kplane');
  const condition = (p: ClusterProfile, type: string): Condition | undefined => p.status?.conditions?.find((c) => c.type === type);
  const waitProfile = (name: string, what: string, test: (p: ClusterProfile) => boolean, timeoutMs = 30_000) =>
    waitFor(async () => {
      const p = await bed.api.request<ClusterProfile>('GET', `${PROFILES}/${name}`);
      return p.status?.observedGeneration === p.metadata.generation && test(p) ? p : undefined;
    }, { what: `profile ${name}: ${what}`, timeoutMs, intervalMs: 100 });
  const refusedBy = (reason: string) => (p: ClusterProfile) => condition(p, 'SpecValid')?.status === 'False' && condition(p, 'SpecValid')?.reason === reason;
  const exists = async (path: string) => (await bed.api.getOrUndefined(path)) !== undefined;
  // Returns once the agent has noticed the edit (it polls every 2 s), so a profile applied next
  // meets the new policy. A ConfigMap made before the agent's first read shows as its first
  // "local policy" line, not as a change (seen running one test alone with --grep).
  const setPolicy = async (text: string) => {
    const noticed = () => bed.agent.logs().split('"msg":"local policy').length;
    const before = noticed();
    await bed.api.apply(POLICY, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kplane-policy', namespace: NS }, data: { 'policy.yaml': text } }, 'cluster-admin');
    await waitFor(() => noticed() > before, { what: 'the agent noticed the policy edit', timeoutMs: 10_000, intervalMs: 50 });
  };
  const deleteProfile = async (name: string) => {
    await bed.api.request('DELETE', `${PROFILES}/${name}`);
    await waitFor(async () => !(await bed.api.getOrUndefined(`${PROFILES}/${name}`)), { what: `profile ${name} deleted`, timeoutMs: 30_000 });
  };

  it('without a policy: an existing Namespace listed in a profile is neither adopted nor deleted, and nothing of the profile is applied', async function () {
    this.timeout(60_000);
    await bed.api.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'prod', labels: { owner: 'platform' } } } });
    await applyProfile(profile('takeover', [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'prod' } }, cm('marker', NS)]));
    const p = await waitProfile('takeover', 'refused: adoptExisting', refusedBy('PolicyViolation'));
    const message = condition(p, 'SpecValid')!.message;
    assert.match(message, /^The cluster's local policy refuses 1 object\(s\); nothing of this profile was applied\. Namespace prod: exists on the cluster and was not created by kplane; taking it over is off \(adoptExisting: false in the agent's default policy/);
    assert.match(message, /sets adoptExisting: true in ConfigMap kplane-system\/kplane-policy/);
    assert.equal(condition(p, 'Applied')?.reason, 'PolicyViolation');
    assert.equal(await exists(`/api/v1/namespaces/${NS}/configmaps/marker`), false, 'an object of a refused profile was applied');
    const ns = await bed.api.request('GET', '/api/v1/namespaces/prod');
    assert.equal(ns.metadata.labels['app.kubernetes.io/managed-by'], undefined, 'the Namespace was adopted');
    await deleteProfile('takeover');
    assert.equal((await bed.api.getOrUndefined<any>('/api/v1/namespaces/prod'))?.status?.phase, 'Active', 'deleting the profile deleted a Namespace kplane never created');
  });

  it('a policy ConfigMap refuses a privileged hostPath DaemonSet in kube-system and a ClusterRoleBinding; status and an Event say why; nothing is applied', async function () {
    this.timeout(60_000);
    await setPolicy('podSecurity: baseline\n');
    await applyProfile(profile('node-admin', [cm('before', NS), hostileDaemonSet, clusterAdminBinding]));
    const p = await waitProfile('node-admin', 'refused by the policy', refusedBy('PolicyViolation'));
    const message = condition(p, 'SpecValid')!.message;
    assert.match(message, /refuses 2 object\(s\)/);
    assert.match(message, /DaemonSet kube-system\/node-root: its pod template breaks the Pod Security Standard "baseline": spec\.template\.spec\.hostNetwork is true; spec\.template\.spec\.volumes\[root\] is a hostPath volume \(\/\); spec\.template\.spec\.containers\[sh\]\.securityContext\.privileged is true \(podSecurity: baseline in ConfigMap kplane-system\/kplane-policy\); the cluster's admin can change ConfigMap kplane-system\/kplane-policy/);
    assert.match(message, /ClusterRoleBinding everyone-admin: kind rbac\.authorization\.k8s\.io\/ClusterRoleBinding is refused unless kinds\.allow names it: RBAC grants permissions \(kinds\.allow in ConfigMap kplane-system\/kplane-policy\).*add rbac\.authorization\.k8s\.io\/\* to kinds\.allow/);
    assert.equal(await exists(`/api/v1/namespaces/${NS}/configmaps/before`), false);
    assert.equal(await exists('/apis/apps/v1/namespaces/kube-system/daemonsets/node-root'), false);
    assert.equal(await exists('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/everyone-admin'), false);
    const events = await waitFor(async () => {
      const list = await bed.api.request<any>('GET', `/api/v1/namespaces/${NS}/events`);
      return list.items.find((e: any) => e.involvedObject.name === 'node-admin' && e.reason === 'SpecValidPolicyViolation');
    }, { what: 'a SpecValidPolicyViolation Event', timeoutMs: 10_000 });
    assert.equal(events.type, 'Warning');
    assert.match(events.message, /DaemonSet kube-system\/node-root/);
  });

  it('an edit of the policy reaches the refused profile at once (no change to the profile), and an invalid policy refuses everything', async function () {
    this.timeout(60_000);
    await setPolicy('podSecurity: privileged\nkinds: { allow: ["*", "rbac.authorization.k8s.io/ClusterRoleBinding"] }\n');
    await waitProfile('node-admin', 'Ready once allowed', (p) => condition(p, 'Ready')?.status === 'True');
    assert.equal(await exists('/apis/apps/v1/namespaces/kube-system/daemonsets/node-root'), true);
    assert.equal(await exists('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/everyone-admin'), true);

    await setPolicy('podSecurity: strict\n');
    const p = await waitProfile('node-admin', 'refused: the policy is invalid', refusedBy('PolicyInvalid'));
    assert.match(condition(p, 'SpecValid')!.message, /the cluster's local policy is invalid, so nothing is applied: ConfigMap kplane-system\/kplane-policy: podSecurity "strict" is not one of privileged, baseline, restricted/);
    await setPolicy('podSecurity: privileged\nkinds: { allow: ["*", "rbac.authorization.k8s.io/ClusterRoleBinding"] }\n');
    await waitProfile('node-admin', 'Ready again', (p) => condition(p, 'Ready')?.status === 'True');
    await deleteProfile('node-admin');
    assert.equal(await exists('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/everyone-admin'), false, 'what kplane created is deleted with the profile');
  });

  it('no profile may write the policy ConfigMap itself', async function () {
    this.timeout(30_000);
    await applyProfile(profile('rewrite-policy', [cm('kplane-policy', NS, { 'policy.yaml': 'podSecurity: privileged\nkinds: { allow: ["*", "admissionregistration.k8s.io/*"] }\n' })]));
    const p = await waitProfile('rewrite-policy', 'refused: built-in rule', refusedBy('PolicyViolation'));
    assert.match(condition(p, 'SpecValid')!.message, /ConfigMap kplane-system\/kplane-policy: is the local policy itself, which no profile may change/);
    assert.match((await bed.api.request<any>('GET', POLICY)).data['policy.yaml'], /rbac\.authorization\.k8s\.io\/ClusterRoleBinding/);
    await deleteProfile('rewrite-policy');
    assert.equal(await exists(POLICY), true);
  });

  it('with adoptExisting: true an existing object is taken over, marked, and left in place when the profile is deleted', async function () {
    this.timeout(60_000);
    await setPolicy('podSecurity: baseline\nadoptExisting: true\n');
    await bed.api.request('POST', `/api/v1/namespaces/${NS}/configmaps`, { body: cm('shared', NS, { owner: 'someone' }) });
    const ns = (name: string, annotations?: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...(annotations ? { annotations } : {}) } });
    await applyProfile(profile('adopter', [cm('shared', NS, { owner: 'kplane' }), cm('created', NS), ns('scratch'), ns('temporary', { 'kplane.dev/prune': 'true' })]));
    await waitProfile('adopter', 'Ready', (p) => condition(p, 'Ready')?.status === 'True');
    const shared = await bed.api.request<any>('GET', `/api/v1/namespaces/${NS}/configmaps/shared`);
    assert.equal(shared.data.owner, 'kplane');
    assert.equal(shared.metadata.annotations['kplane.dev/adopted'], 'true');
    await deleteProfile('adopter');
    assert.equal(await exists(`/api/v1/namespaces/${NS}/configmaps/created`), false, 'what kplane created is deleted');
    assert.equal(await exists(`/api/v1/namespaces/${NS}/configmaps/shared`), true, 'an adopted object was deleted with the profile');
    // Namespaces (and CRDs) kplane created go only when the profile opted in.
    assert.equal((await bed.api.getOrUndefined<any>('/api/v1/namespaces/scratch'))?.status?.phase, 'Active', 'a Namespace without kplane.dev/prune was deleted');
    const temporary = await bed.api.getOrUndefined<any>('/api/v1/namespaces/temporary');
    assert.ok(!temporary || temporary.metadata.deletionTimestamp, 'the Namespace annotated kplane.dev/prune: "true" was not deleted');
    const events = await bed.api.request<any>('GET', `/api/v1/namespaces/${NS}/events`);
    const released = events.items.find((e: any) => e.involvedObject.name === 'adopter' && e.reason === 'Released');
    assert.match(released?.message ?? '', /^Left 1 object\(s\) in place that existed before kplane took them over: ConfigMap kplane-system\/shared\. Left 1 Namespace\(s\)\/CRD\(s\) in place, with everything in them: Namespace scratch \(kplane deletes one only when the profile annotates it kplane\.dev\/prune: "true"/);
  });

  it('kplane diff lists an adopted object, a Namespace and a CRD that left the profile as kept, not pruned, and the agent keeps them', async function () {
    this.timeout(90_000);
    await setPolicy('podSecurity: baseline\nadoptExisting: true\nkinds: { allow: ["*", "apiextensions.k8s.io/CustomResourceDefinition"] }\n');
    await bed.api.request('POST', `/api/v1/namespaces/${NS}/configmaps`, { body: cm('shared-2', NS, { owner: 'someone' }) });
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.diff.example.dev' },
      spec: {
        group: 'diff.example.dev',
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
      },
    };
    const before = profile('leaver', [cm('shared-2', NS, { owner: 'kplane' }), cm('made', NS), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'scratch-2' } }, crd]);
    await applyProfile(before);
    await waitProfile('leaver', 'Ready', (p) => condition(p, 'Ready')?.status === 'True', 60_000);

    const dir = mkdtempSync(join(tmpdir(), 'kplane-diff-kept-'));
    try {
      const after = profile('leaver', [cm('stays', NS)]);
      after.spec.version = '1.1.0';
      const file = join(dir, 'leaver.profile.yaml');
      writeFileSync(file, JSON.stringify(after)); // JSON is YAML
      const result = await kplane(['diff', file, '--kubeconfig', bed.cluster.kubeconfigPath, '--context', bed.cluster.name]);
      assert.equal(result.code, 1, result.stdout + result.stderr);
      const out = result.stdout;
      assert.match(out, /objects: 1 to create, 0 to change, 1 to prune, 3 kept$/m);
      assert.match(out, /^\+\+\+ .*: ConfigMap kplane-system\/made \(pruned\)$/m);
      for (const name of ['shared-2', 'scratch-2', 'widgets']) assert.doesNotMatch(out, new RegExp(`${name}.*\\(pruned\\)`), `${name} listed as pruned`);
      assert.match(out, /: ConfigMap kplane-system\/shared-2: left the profile, kept \(it existed before kplane took it over\)$/m);
      assert.match(out, /: Namespace scratch-2: left the profile, kept with everything in it \(a Namespace is deleted only when the profile annotates it kplane\.dev\/prune: "true"\)$/m);
      assert.match(out, /: CustomResourceDefinition widgets\.diff\.example\.dev: left the profile, kept with everything in it/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    // What the diff said is what the agent does.
    const after = profile('leaver', [cm('stays', NS)]);
    after.spec.version = '1.1.0';
    await applyProfile(after);
    await waitProfile('leaver', 'Ready after the edit', (p) => condition(p, 'Ready')?.status === 'True' && p.status?.appliedVersion === '1.1.0', 60_000);
    await waitFor(async () => !(await exists(`/api/v1/namespaces/${NS}/configmaps/made`)), { what: 'made pruned', timeoutMs: 30_000 });
    assert.equal(await exists(`/api/v1/namespaces/${NS}/configmaps/shared-2`), true, 'the adopted ConfigMap was pruned');
    assert.equal((await bed.api.getOrUndefined<any>('/api/v1/namespaces/scratch-2'))?.status?.phase, 'Active', 'the Namespace was pruned');
    assert.equal(await exists('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.diff.example.dev'), true, 'the CRD was pruned');
  });
});
