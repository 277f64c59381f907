/**
 * The least RBAC the agent needs to manage exactly the objects of one profile (`kplane rbac`):
 * get/create/patch/delete on each object by name (a server-side apply names its object in the
 * URL, so resourceNames hold for create too), in one Role per namespace and one ClusterRole for
 * cluster-scoped objects, plus list/watch on each kind, cluster-wide, because the agent watches
 * every kind it manages across the cluster by label and RBAC cannot narrow a watch by label.
 * Pure: the caller says each kind's resource name and scope.
 */
import { groupOf, type Manifest } from '@kplane/profile';

export interface RbacRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

export interface RbacObject {
  apiVersion: 'rbac.authorization.k8s.io/v1';
  kind: 'Role' | 'ClusterRole' | 'RoleBinding' | 'ClusterRoleBinding';
  metadata: { name: string; namespace?: string; labels: Record<string, string> };
  rules?: RbacRule[];
  roleRef?: { apiGroup: 'rbac.authorization.k8s.io'; kind: 'Role' | 'ClusterRole'; name: string };
  subjects?: { kind: 'ServiceAccount'; name: string; namespace: string }[];
}

/** The resource (plural) Kubernetes guesses for a kind (apimachinery meta.UnsafeGuessKindToResource), for when no discovery is at hand. */
export function guessPlural(kind: string): string {
  const lower = kind.toLowerCase();
  if (lower === 'endpoints') return lower; // the one built-in kind the guess gets wrong
  if (lower.endsWith('s')) return `${lower}es`;
  if (lower.endsWith('y')) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}

const OBJECT_VERBS = ['get', 'create', 'patch', 'delete'];
const WATCH_VERBS = ['list', 'watch'];
const RBAC_GROUP = 'rbac.authorization.k8s.io';

export function agentRbacFor(
  profileName: string,
  objects: readonly Manifest[],
  resolve: (apiVersion: string, kind: string) => { plural: string; clusterScoped: boolean },
  serviceAccount: { namespace: string; name: string },
): { objects: RbacObject[]; notes: string[] } {
  const name = `kplane-agent-profile-${profileName}`.slice(0, 253);
  const labels = { 'app.kubernetes.io/managed-by': 'kplane-rbac', 'kplane.dev/profile': profileName };
  // group/resource → names, per namespace ('' = cluster-scoped)
  const byScope = new Map<string, Map<string, Set<string>>>();
  const watched = new Map<string, Set<string>>();
  const notes: string[] = [];
  for (const m of objects) {
    const group = groupOf(m.apiVersion);
    const { plural, clusterScoped } = resolve(m.apiVersion, m.kind);
    const namespace = clusterScoped ? '' : (m.metadata.namespace ?? 'default');
    const key = `${group}/${plural}`;
    const scope = byScope.get(namespace) ?? new Map<string, Set<string>>();
    byScope.set(namespace, scope);
    (scope.get(key) ?? scope.set(key, new Set()).get(key)!).add(m.metadata.name);
    (watched.get(group) ?? watched.set(group, new Set()).get(group)!).add(plural);
    if (group === RBAC_GROUP && (m.kind === 'Role' || m.kind === 'ClusterRole' || m.kind.endsWith('Binding'))) {
      notes.push(`${m.kind} ${m.metadata.name}: Kubernetes lets the agent create RBAC only for permissions it holds itself, or with the escalate/bind verbs; grant those deliberately.`);
    }
  }
  const rules = (scope: Map<string, Set<string>>): RbacRule[] =>
    [...scope.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, names]) => {
      const slash = key.indexOf('/');
      return { apiGroups: [key.slice(0, slash)], resources: [key.slice(slash + 1)], resourceNames: [...names].sort(), verbs: [...OBJECT_VERBS] };
    });
  // A Role cannot exist before its namespace: in namespaces the profile itself creates, the
  // objects are granted by name in the ClusterRole instead (any namespace, those names only).
  const created = new Set(objects.filter((m) => m.kind === 'Namespace' && groupOf(m.apiVersion) === '').map((m) => m.metadata.name));
  const cluster = byScope.get('') ?? new Map<string, Set<string>>();
  for (const ns of created) {
    for (const [key, names] of byScope.get(ns) ?? []) for (const n of names) (cluster.get(key) ?? cluster.set(key, new Set()).get(key)!).add(n);
    if (byScope.delete(ns)) notes.push(`Objects in namespace ${ns}, which the profile creates, are granted by name in the ClusterRole (a Role cannot exist before its namespace).`);
  }
  byScope.set('', cluster);
  const subjects = [{ kind: 'ServiceAccount' as const, name: serviceAccount.name, namespace: serviceAccount.namespace }];
  const watchRules: RbacRule[] = [...watched.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([group, plurals]) => ({ apiGroups: [group], resources: [...plurals].sort(), verbs: [...WATCH_VERBS] }));
  const out: RbacObject[] = [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name, labels }, rules: [...watchRules, ...rules(byScope.get('') ?? new Map())] },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name, labels }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name }, subjects },
  ];
  for (const [namespace, scope] of [...byScope.entries()].filter(([ns]) => ns !== '').sort(([a], [b]) => a.localeCompare(b))) {
    out.push(
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name, namespace, labels }, rules: rules(scope) },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name, namespace, labels }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name }, subjects },
    );
  }
  notes.unshift('list/watch are cluster-wide: the agent watches each kind it manages across the cluster by label, and RBAC cannot narrow a watch by label.');
  return { objects: out, notes };
}
