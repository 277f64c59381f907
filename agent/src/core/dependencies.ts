/**
 * Profiles that wait for other profiles (spec.dependsOn, same namespace): a profile is applied
 * only while every profile it names is Ready for its current generation, as Flux's
 * Kustomization dependsOn. Pure: the reconciler hands in the cached profiles.
 */
import type { ClusterProfile } from '@kplane/profile';

export interface DependencyState {
  name: string;
  /** Why it is not Ready, e.g. `Ready=False (Progressing)`, `not found`. */
  why: string;
}

/** The dependencies of `profile` that are not Ready yet, in spec order (empty: go ahead). */
export function unreadyDependencies(profile: ClusterProfile, lookup: (namespace: string, name: string) => ClusterProfile | undefined): DependencyState[] {
  const namespace = profile.metadata.namespace ?? '';
  const out: DependencyState[] = [];
  for (const name of new Set(profile.spec.dependsOn ?? [])) {
    if (name === profile.metadata.name) continue; // validation reports it; waiting for oneself would never end
    const dep = lookup(namespace, name);
    if (!dep) out.push({ name, why: 'not found' });
    else if (dep.metadata.deletionTimestamp) out.push({ name, why: 'being deleted' });
    else {
      const ready = dep.status?.conditions?.find((c) => c.type === 'Ready');
      const current = dep.status?.observedGeneration === dep.metadata.generation;
      if (ready?.status === 'True' && current) continue;
      out.push({ name, why: !ready ? 'no status yet' : !current ? `its status is for generation ${dep.status?.observedGeneration ?? '?'} of ${dep.metadata.generation ?? '?'}` : `Ready=${ready.status} (${ready.reason})` });
    }
  }
  return out;
}

/** The condition message of a profile that waits: each dependency once, with why. */
export function dependencyMessage(waiting: readonly DependencyState[]): string {
  const names = waiting.map((w) => `"${w.name}" (${w.why})`);
  return `Waiting for ${waiting.length === 1 ? 'profile' : 'profiles'} ${names.join(', ')} to be Ready before applying anything (spec.dependsOn).`;
}

/** `namespace/name` keys of the profiles that depend on the profile `name` of `namespace`. */
export function dependentsOf(namespace: string, name: string, profiles: Iterable<ClusterProfile>): string[] {
  const out: string[] = [];
  for (const p of profiles) {
    if ((p.metadata.namespace ?? '') === namespace && p.metadata.name !== name && (p.spec?.dependsOn ?? []).includes(name)) out.push(`${namespace}/${p.metadata.name}`);
  }
  return out;
}
