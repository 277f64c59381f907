/**
 * What every step of a reconcile shares: the agent's dependencies (injected once, by
 * agentRuntime.ts) and the context of one run (the profile as read at its start, its
 * sensitive values, the clock, and the signal that cancels the run).
 */
import { API_VERSION, PROFILE_PLURAL, expandLayers, parseDuration, resolveValues, type ClusterProfile, type ClusterProfileStatus, type ObjectRef, type ScalingStatus } from '@kplane/profile';
import type { Discovery, Informer, KubeClient, KubeObject, ResourceInfo } from '@kplane/kube';
import type { ChartSource } from '../../helm/chartSource.js';
import type { LocalPolicySource } from '../localPolicy.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';

export const DEFAULT_RESYNC_MS = 10 * 60_000;

/** What the reconciler needs from the rest of the agent, injected so the wiring stays in one place. */
export interface ReconcilerDeps {
  api: KubeClient;
  discovery: Discovery;
  /** Pulls, keeps and renders the charts of Helm layers. */
  charts: ChartSource;
  /** The cluster's local policy, which every run checks before applying anything. */
  policy: LocalPolicySource;
  log: Logger;
  metrics: Metrics;
  namespace: string;
  /**
   * Check rendered objects against the cluster's /openapi/v3 before applying (./validate.ts).
   * Off (--validate-schemas=false), objects go to the API server unchecked, which still refuses
   * what it would not store, with its own message, when the layer is applied.
   */
  validateSchemas?: boolean;
  profileCache(): Map<string, KubeObject>;
  /** Puts a profile the agent just wrote into the cache, so the next run does not act on a stale copy. */
  observeProfile(obj: KubeObject): void;
  /** Queues the profiles that depend on this one (spec.dependsOn). */
  queueDependents(namespace: string, name: string): void;
  /** The informer watching one owned kind, started and synced on first use. */
  informerFor(info: ResourceInfo): Promise<Informer>;
  /** Records an agent event (ClusterAgent status + a Kubernetes Event). */
  event(profile: ClusterProfile, severity: 'Normal' | 'Warning', reason: string, message: string): void;
  /** The replicas a scaling policy decided for a target, if any. */
  scaledReplicas(profileKey: string, profile: ClusterProfile, target: ObjectRef): number | undefined;
  scalingStatus(profileKey: string): ScalingStatus[] | undefined;
  now(): Date;
}

/** One run of the reconciler for one profile. */
export interface RunContext {
  /** `namespace/name` of the profile. */
  key: string;
  /** The profile as cached when the run started, with a private copy of its metadata and status (steps update its metadata as they write it); the spec is the cache's, read only. */
  profile: ClusterProfile;
  /** Its status as found, which the run compares against before writing. */
  previous: ClusterProfileStatus;
  /** Values of sensitive variables: masked in every message the run writes. */
  secrets: string[];
  log: Logger;
  now: Date;
  mode: 'enforce' | 'monitor';
  paused: boolean;
  resyncMs: number;
  /** Keys (objectKey) of objects that exist without kplane and that the local policy lets this run take over. */
  adopting: Set<string>;
  /** Aborted when the profile is deleted or the agent stops: no further request is started. */
  signal: AbortSignal;
  /** Why a compressedManifests layer could not be decoded (the spec is then as stored): the run applies nothing and reports SpecValid=False. */
  storedFormError?: string;
}

/**
 * The specs with their compressed layers expanded (kplane's stored form of big profiles,
 * @kplane/profile storedForm.ts), decoded once per generation of each profile: every step then
 * sees plain manifests, and status writes (merge patches of status) never send a spec back.
 * Owned by the reconciler (one per agent) and handed to runContext; it holds at most one entry a
 * profile, replaced when the profile's uid or generation changes and dropped when it is deleted
 * (test/unit/agent/expandedSpecs.test.ts).
 */
export class ExpandedSpecs {
  private readonly entries = new Map<string, { stamp: string; spec: ClusterProfile['spec']; error?: string }>();

  /** The spec of `cached` with its layers decoded, or the spec as stored and why it could not be decoded. */
  get(key: string, cached: ClusterProfile): { spec: ClusterProfile['spec']; error?: string } {
    const stamp = `${String(cached.metadata.uid ?? '')}/${String(cached.metadata.generation ?? '')}`;
    const known = this.entries.get(key);
    if (known?.stamp === stamp && cached.metadata.generation) return known;
    const result = expandLayers(cached);
    const entry = result.ok ? { stamp, spec: result.profile.spec } : { stamp, spec: cached.spec, error: result.error };
    if (result.ok && !result.compressed) this.entries.delete(key);
    else this.entries.set(key, entry);
    return entry;
  }

  /** Drops the decoded spec of a profile that is gone. */
  forget(key: string): void {
    this.entries.delete(key);
  }

  /** How many profiles have a decoded spec kept. */
  get size(): number {
    return this.entries.size;
  }
}

export function runContext(key: string, cached: ClusterProfile, deps: ReconcilerDeps, specs: ExpandedSpecs, signal: AbortSignal): RunContext {
  // Metadata and status are the run's own copy; the spec is shared with the cache: no step
  // changes it, and copying a profile of a few MB on every run made most of a run's garbage.
  const { spec, error: storedFormError } = specs.get(key, cached);
  const profile = { ...cached, spec, metadata: structuredClone(cached.metadata), ...(cached.status ? { status: structuredClone(cached.status) } : {}) };
  const secrets = sensitiveValues(profile);
  deps.log.setSecrets(key, secrets);
  return {
    key,
    profile,
    previous: profile.status ?? {},
    secrets,
    log: deps.log.child({ profile: key }),
    now: deps.now(),
    mode: profile.spec?.reconcile?.mode ?? 'enforce',
    paused: profile.spec?.paused === true,
    resyncMs: parseDuration(profile.spec?.reconcile?.interval ?? '') ?? DEFAULT_RESYNC_MS,
    adopting: new Set(),
    signal,
    ...(storedFormError ? { storedFormError } : {}),
  };
}

/** The values of sensitive variables (as text), which must never be shown anywhere. */
export function sensitiveValues(profile: ClusterProfile): string[] {
  const names = new Set((profile.spec?.variables ?? []).filter((v) => v.sensitive).map((v) => v.name));
  if (!names.size) return [];
  const { values } = resolveValues(profile.spec);
  return Object.entries(values)
    .filter(([k]) => names.has(k))
    .map(([, v]) => String(v));
}

/**
 * The problems of one run, as one error: the work queue retries the profile with its per-key
 * backoff (the reconciler keeps no backoff of its own). Messages are masked already.
 */
export class ReconcileError extends Error {
  constructor(
    readonly profile: string,
    readonly problems: readonly string[],
  ) {
    const more = problems.length > 3 ? ` (and ${problems.length - 3} more)` : '';
    super(`${profile}: ${problems.slice(0, 3).join('; ')}${more}`);
    this.name = 'ReconcileError';
  }
}

/** Waits for `promise`, but gives up (rejecting with the signal's reason) as soon as `signal` aborts. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

export function profilePath(profile: ClusterProfile): string {
  return `/apis/${API_VERSION}/namespaces/${profile.metadata.namespace}/${PROFILE_PLURAL}/${profile.metadata.name}`;
}

export function iso(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The profile as stored after a write of the agent's own that was answered with its metadata
 * only (METADATA_ONLY): the answer's metadata, the run's spec and `status` as written. The whole
 * answer was a 1.4 MB object to download and parse for each finalizer and status write of a big
 * part; the watch event of the write brings the stored object right after.
 *
 * Undefined when the spec changed since the run read it (the answer's generation is newer): the
 * run's spec under the new generation would be a profile that never existed, and the next run
 * would enforce the old spec while reporting the new generation as observed
 * (test/unit/agent/readyAhead.test.ts; test/cluster/helmLayer.test.ts caught it). The caller
 * then leaves the cache to the watch.
 */
export function writtenProfile(profile: ClusterProfile, answer: KubeObject, status: ClusterProfileStatus | undefined): KubeObject | undefined {
  if (answer.metadata?.generation !== profile.metadata.generation) return undefined;
  const { apiVersion, kind, spec } = profile;
  return { apiVersion, kind, metadata: answer.metadata, spec, ...(status ? { status } : {}) } as unknown as KubeObject;
}

