/**
 * The cluster's local policy: what profiles may touch on this cluster, set by the cluster's own
 * admin in a ConfigMap beside the agent (not by profile authors, and not by the management
 * plane, which only writes ClusterProfiles). After Argo CD's AppProject and Fleet's
 * GitRepoRestriction, but enforced in the cluster. Pure: parsing and checking; the agent reads
 * the ConfigMap (../controller/localPolicy.ts) and refuses a profile that breaks it before
 * anything of it is applied.
 *
 *   apiVersion: v1
 *   kind: ConfigMap
 *   metadata: { name: kplane-policy, namespace: kplane-system }
 *   data:
 *     policy.yaml: |
 *       namespaces: { allow: ["team-*"], deny: [kube-system] }
 *       kinds: { allow: ["apps/*", "core/*"], deny: [core/Secret] }
 *       podSecurity: baseline          # privileged | baseline (default) | restricted
 *       adoptExisting: false           # the default
 */
import { parseDocument } from 'yaml';
import { POD_SECURITY_LEVELS, describeObject, groupOf, podSecurityProblems, type Manifest, type ObjectRef, type PodSecurityLevel } from '@kplane/profile';

export const POLICY_CONFIGMAP = 'kplane-policy';
export const POLICY_KEY = 'policy.yaml';
/** On an object kplane took over although it existed before: it is never deleted by prune or profile deletion. */
export const ADOPTED_ANNOTATION = 'kplane.dev/adopted';
/**
 * Deleting a Namespace deletes everything in it, and deleting a CRD every resource of its kind,
 * including what others put there: kplane deletes one (prune, profile deletion) only when the
 * profile opted in with this annotation set to "true" on it. Helm never deletes either on uninstall.
 */
export const PRUNE_ANNOTATION = 'kplane.dev/prune';

/** Why prune or profile deletion leaves an object of the inventory in place (undefined: it may be deleted). */
export function keptOnDelete(live: { apiVersion?: string; kind?: string; metadata: Record<string, unknown> }): 'adopted' | 'cascades' | undefined {
  const annotations = (live.metadata.annotations ?? {}) as Record<string, string>;
  if (annotations[ADOPTED_ANNOTATION] === 'true') return 'adopted';
  const group = groupOf(live.apiVersion ?? '');
  const cascades = (group === '' && live.kind === 'Namespace') || (group === 'apiextensions.k8s.io' && live.kind === 'CustomResourceDefinition');
  if (cascades && annotations[PRUNE_ANNOTATION] !== 'true') return 'cascades';
  return undefined;
}

/** The Event message for objects left in place. */
export function keptMessage(kept: readonly { ref: ObjectRef; why: 'adopted' | 'cascades' }[]): string {
  const list = (refs: ObjectRef[]) => `${refs.slice(0, 5).map(describeObject).join(', ')}${refs.length > 5 ? ', …' : ''}`;
  const adopted = kept.filter((k) => k.why === 'adopted').map((k) => k.ref);
  const cascades = kept.filter((k) => k.why === 'cascades').map((k) => k.ref);
  const parts: string[] = [];
  if (adopted.length) parts.push(`Left ${adopted.length} object(s) in place that existed before kplane took them over: ${list(adopted)}.`);
  if (cascades.length) parts.push(`Left ${cascades.length} Namespace(s)/CRD(s) in place, with everything in them: ${list(cascades)} (kplane deletes one only when the profile annotates it ${PRUNE_ANNOTATION}: "true"; delete it with kubectl if nothing else uses it).`);
  return parts.join(' ');
}

export interface LocalPolicy {
  /** Globs (`*`) of namespaces; allow undefined: every namespace. */
  namespaces: { allow?: string[]; deny: string[] };
  /** `Kind`, `group/Kind`, `group/*` (core group: `core`), or `*`; allow undefined: every kind but the sensitive ones. */
  kinds: { allow?: string[]; deny: string[] };
  podSecurity: PodSecurityLevel;
  adoptExisting: boolean;
  /** Where it came from, for messages: `ConfigMap kplane-system/kplane-policy`, or undefined for the built-in default. */
  source?: string;
}

/**
 * Kinds that hand out power over the whole cluster (RBAC, admission, new APIs): refused unless
 * kinds.allow names them (by group or kind; a bare `*` does not), because a profile that may
 * create a ClusterRoleBinding or a webhook may do anything.
 */
export const SENSITIVE_KINDS: readonly { pattern: string; why: string }[] = [
  { pattern: 'rbac.authorization.k8s.io/*', why: 'RBAC grants permissions' },
  { pattern: 'admissionregistration.k8s.io/*', why: 'admission webhooks and policies see or change every object' },
  { pattern: 'apiextensions.k8s.io/CustomResourceDefinition', why: 'CRDs add APIs to the cluster' },
  { pattern: 'apiregistration.k8s.io/APIService', why: 'an APIService routes a whole API group to a server' },
];

/**
 * Without a policy ConfigMap the agent applies what profiles ask (as before there was a policy),
 * except that it never takes over an object it did not create.
 */
export const DEFAULT_POLICY: LocalPolicy = { namespaces: { deny: [] }, kinds: { allow: ['*', ...SENSITIVE_KINDS.map((k) => k.pattern)], deny: [] }, podSecurity: 'privileged', adoptExisting: false };

const FIELDS = new Set(['namespaces', 'kinds', 'podSecurity', 'adoptExisting']);

/** Reads the policy ConfigMap's text; every problem is named, and a policy with any problem is not used. */
export function parsePolicy(text: string, source: string): { policy?: LocalPolicy; problems: string[] } {
  const doc = parseDocument(text);
  if (doc.errors.length) return { problems: [`${source}: ${POLICY_KEY} is not valid YAML (${doc.errors[0].message.split('\n')[0]})`] };
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 10 }) ?? {};
  } catch (err) {
    return { problems: [`${source}: ${POLICY_KEY} cannot be read (${(err as Error).message})`] };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { problems: [`${source}: ${POLICY_KEY} must be a mapping with ${[...FIELDS].join(', ')}`] };
  const r = raw as Record<string, unknown>;
  const problems: string[] = [];
  for (const k of Object.keys(r)) if (!FIELDS.has(k)) problems.push(`${source}: unknown field "${k}" in ${POLICY_KEY} (known: ${[...FIELDS].join(', ')})`);
  const lists = (field: 'namespaces' | 'kinds') => {
    const v = r[field];
    if (v === undefined || v === null) return { deny: [] as string[] };
    if (typeof v !== 'object' || Array.isArray(v)) {
      problems.push(`${source}: ${field} must be a mapping with allow and/or deny lists`);
      return { deny: [] as string[] };
    }
    const out: { allow?: string[]; deny: string[] } = { deny: [] };
    for (const [k, x] of Object.entries(v)) {
      if (k !== 'allow' && k !== 'deny') {
        problems.push(`${source}: unknown field "${field}.${k}" (use allow and deny)`);
        continue;
      }
      if (!Array.isArray(x) || x.some((e) => typeof e !== 'string' || e === '')) {
        problems.push(`${source}: ${field}.${k} must be a list of non-empty strings`);
        continue;
      }
      if (field === 'kinds') for (const e of x as string[]) if (e.split('/').length > 2) problems.push(`${source}: kinds.${k} entry "${e}" is not Kind, group/Kind or group/* (core group: core)`);
      out[k] = x as string[];
    }
    return out;
  };
  const namespaces = lists('namespaces');
  const kinds = lists('kinds');
  const level = r.podSecurity ?? 'baseline';
  if (!POD_SECURITY_LEVELS.includes(level as PodSecurityLevel)) problems.push(`${source}: podSecurity "${String(level)}" is not one of ${POD_SECURITY_LEVELS.join(', ')}`);
  const adopt = r.adoptExisting ?? false;
  if (typeof adopt !== 'boolean') problems.push(`${source}: adoptExisting must be true or false`);
  if (problems.length) return { problems };
  return { policy: { namespaces, kinds, podSecurity: level as PodSecurityLevel, adoptExisting: adopt as boolean, source }, problems: [] };
}

export function globMatch(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  const parts = pattern.split('*');
  if (!value.startsWith(parts[0]) || !value.endsWith(parts[parts.length - 1])) return false;
  let at = parts[0].length;
  for (const part of parts.slice(1, -1)) {
    const i = value.indexOf(part, at);
    if (i < 0) return false;
    at = i + part.length;
  }
  return at <= value.length - parts[parts.length - 1].length;
}

/** Whether a kinds entry matches: `*`, `Kind`, `group/Kind`, `group/*` (core group: `core`). */
export function kindMatches(entry: string, apiVersion: string, kind: string): boolean {
  if (entry === '*') return true;
  const group = groupOf(apiVersion) || 'core';
  const slash = entry.indexOf('/');
  if (slash < 0) return globMatch(entry, kind);
  return globMatch(entry.slice(0, slash), group) && globMatch(entry.slice(slash + 1), kind);
}

export interface PolicyObject {
  manifest: Manifest;
  /** From discovery: a Namespace's name is checked as a namespace; other cluster-scoped objects have none. */
  clusterScoped: boolean;
}

export interface PolicyViolation {
  ref: ObjectRef;
  /** The rule, as the admin writes it: `namespaces.deny: kube-system`, `podSecurity: baseline`. */
  rule: string;
  message: string;
}

/** Every object of the profile that the policy refuses, each with the rule and what to do. */
export function policyViolations(policy: LocalPolicy, objects: readonly PolicyObject[], self: { namespace: string }): PolicyViolation[] {
  const out: PolicyViolation[] = [];
  const where = policy.source ?? `the agent's default policy (no ConfigMap ${self.namespace}/${POLICY_CONFIGMAP})`;
  const fix = policy.source ? `the cluster's admin can change ${policy.source}` : `the cluster's admin can create ConfigMap ${self.namespace}/${POLICY_CONFIGMAP}`;
  for (const { manifest, clusterScoped } of objects) {
    const ref: ObjectRef = { apiVersion: manifest.apiVersion, kind: manifest.kind, name: manifest.metadata?.name ?? '' };
    const namespace = clusterScoped ? undefined : (manifest.metadata?.namespace ?? 'default');
    if (namespace) ref.namespace = namespace;
    const refuse = (rule: string, what: string, how = fix) => out.push({ ref, rule, message: `${describeObject(ref)}: ${what} (${rule} in ${where}); ${how}` });

    if (manifest.kind === 'ConfigMap' && groupOf(manifest.apiVersion) === '' && namespace === self.namespace && ref.name === POLICY_CONFIGMAP) {
      refuse('built-in', 'is the local policy itself, which no profile may change', 'only the cluster\'s admin edits it, with kubectl');
      continue;
    }
    const ns = manifest.kind === 'Namespace' && groupOf(manifest.apiVersion) === '' ? ref.name : namespace;
    if (ns !== undefined) {
      const denied = policy.namespaces.deny.find((p) => globMatch(p, ns));
      if (denied) refuse(`namespaces.deny: ${denied}`, `namespace ${ns} is denied`);
      else if (policy.namespaces.allow && !policy.namespaces.allow.some((p) => globMatch(p, ns))) refuse(`namespaces.allow: [${policy.namespaces.allow.join(', ')}]`, `namespace ${ns} is not allowed`);
    }
    const kindName = `${groupOf(manifest.apiVersion) || 'core'}/${manifest.kind}`;
    const deniedKind = policy.kinds.deny.find((e) => kindMatches(e, manifest.apiVersion, manifest.kind));
    const sensitive = SENSITIVE_KINDS.find((s) => kindMatches(s.pattern, manifest.apiVersion, manifest.kind));
    if (deniedKind) refuse(`kinds.deny: ${deniedKind}`, `kind ${kindName} is denied`);
    else if (sensitive && !(policy.kinds.allow ?? []).some((e) => e !== '*' && kindMatches(e, manifest.apiVersion, manifest.kind))) {
      refuse('kinds.allow', `kind ${kindName} is refused unless kinds.allow names it: ${sensitive.why}`, `${fix} (add ${sensitive.pattern} to kinds.allow)`);
    } else if (policy.kinds.allow && !policy.kinds.allow.some((e) => kindMatches(e, manifest.apiVersion, manifest.kind))) {
      refuse(`kinds.allow: [${policy.kinds.allow.join(', ')}]`, `kind ${kindName} is not allowed`);
    }
    const pss = podSecurityProblems(manifest, policy.podSecurity);
    if (pss.length) refuse(`podSecurity: ${policy.podSecurity}`, `its pod template breaks the Pod Security Standard "${policy.podSecurity}": ${pss.slice(0, 3).join('; ')}${pss.length > 3 ? ` (and ${pss.length - 3} more)` : ''}`);
  }
  return out;
}

/** An object that exists, was not created by kplane, and which the profile lists. */
export function adoptionViolation(policy: LocalPolicy, ref: ObjectRef, self: { namespace: string }): PolicyViolation {
  const where = policy.source ?? `the agent's default policy (no ConfigMap ${self.namespace}/${POLICY_CONFIGMAP})`;
  return {
    ref,
    rule: 'adoptExisting: false',
    message:
      `${describeObject(ref)}: exists on the cluster and was not created by kplane; taking it over is off (adoptExisting: false in ${where}), ` +
      `so nothing would delete what kplane never made; remove it from the profile, or the cluster's admin sets adoptExisting: true in ${policy.source ?? `ConfigMap ${self.namespace}/${POLICY_CONFIGMAP}`}`,
  };
}

/** The violations as one status message: the first few in full, then a count. */
export function violationsMessage(violations: readonly PolicyViolation[], limit = 3): string {
  const shown = violations.slice(0, limit).map((v) => v.message);
  const rest = violations.length - shown.length;
  return `The cluster's local policy refuses ${violations.length} object(s); nothing of this profile was applied. ${shown.join('. ')}${rest > 0 ? `. (and ${rest} more)` : ''}`;
}
