/** `kplane rbac`'s rules (plane/src/fleet/agentRbac.ts); the cluster test (test/cluster/profileRbac.test.ts) runs the agent with them. */
import assert from 'node:assert/strict';
import { agentRbacFor, guessPlural } from '@kplane/plane';
import type { Manifest } from '@kplane/profile';

const m = (apiVersion: string, kind: string, name: string, namespace?: string) => ({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } }) as Manifest;
const scope = (apiVersion: string, kind: string) => ({ plural: guessPlural(kind), clusterScoped: kind === 'Namespace' || kind === 'ClusterRole' });
const sa = { namespace: 'kplane-system', name: 'kplane-agent' };

describe('kplane rbac: least privilege for one profile', () => {
  it('guesses resource names as Kubernetes does', () => {
    assert.deepEqual(['Deployment', 'Ingress', 'NetworkPolicy', 'Endpoints', 'ConfigMap'].map(guessPlural), ['deployments', 'ingresses', 'networkpolicies', 'endpoints', 'configmaps']);
  });

  it('a Role per existing namespace with each object by name, list/watch per kind in the ClusterRole, RBAC objects noted', () => {
    const { objects, notes } = agentRbacFor('app', [m('apps/v1', 'Deployment', 'web', 'prod'), m('v1', 'ConfigMap', 'a', 'prod'), m('v1', 'ConfigMap', 'b', 'prod'), m('v1', 'ConfigMap', 'c'), m('rbac.authorization.k8s.io/v1', 'ClusterRole', 'reader')], scope, sa);
    assert.deepEqual(objects.map((o) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`), [
      'ClusterRole /kplane-agent-profile-app',
      'ClusterRoleBinding /kplane-agent-profile-app',
      'Role default/kplane-agent-profile-app',
      'RoleBinding default/kplane-agent-profile-app',
      'Role prod/kplane-agent-profile-app',
      'RoleBinding prod/kplane-agent-profile-app',
    ]);
    assert.deepEqual(objects[0].rules, [
      { apiGroups: [''], resources: ['configmaps'], verbs: ['list', 'watch'] },
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['list', 'watch'] },
      { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['list', 'watch'] },
      { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], resourceNames: ['reader'], verbs: ['get', 'create', 'patch', 'delete'] },
    ]);
    assert.deepEqual(objects[4].rules, [
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['a', 'b'], verbs: ['get', 'create', 'patch', 'delete'] },
      { apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['web'], verbs: ['get', 'create', 'patch', 'delete'] },
    ]);
    assert.deepEqual(objects[5].subjects, [{ kind: 'ServiceAccount', name: 'kplane-agent', namespace: 'kplane-system' }]);
    assert.match(notes.join('\n'), /ClusterRole reader: Kubernetes lets the agent create RBAC only for permissions it holds itself, or with the escalate\/bind verbs/);
  });
});
