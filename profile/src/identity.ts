/** How objects are told apart: group, kind, namespace and name (the version does not count). */
import type { ObjectRef } from './types.js';
import { BUILTIN_CLUSTER_SCOPED } from './builtinScopes.generated.js';

export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** `group/Kind/namespace/name`, with empty group for the core API and empty namespace for cluster-scoped objects. */
export function objectKey(ref: ObjectRef): string {
  return `${groupOf(ref.apiVersion)}/${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
}

/** A short human form: Kind namespace/name. */
export function describeObject(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

/**
 * Kinds of the built-in API that are cluster-scoped, as discovery of the test bed's API server
 * says (generated). Pure code (validation, rendering) uses this to decide whether a layer's
 * default namespace applies; the agent asks its API server's discovery instead, which also knows CRDs.
 */
const CLUSTER_SCOPED = new Set(BUILTIN_CLUSTER_SCOPED);

export function isKnownClusterScoped(apiVersion: string, kind: string): boolean {
  return CLUSTER_SCOPED.has(`${groupOf(apiVersion)}/${kind}`);
}
