/**
 * Reconciles one ClusterProfile, level-triggered and idempotent: everything it does follows
 * from the profile (read from the informer cache), the live objects (read from the per-kind
 * informer caches) and the inventory; it can be run any number of times, or be killed at any
 * point, and the next run finishes the job.
 */
import {
  AGENT_FIELD_MANAGER,
  API_VERSION,
  FINALIZER,
  PROFILE_PLURAL,
  STATUS_LIMITS,
  describeObject,
  formatPath,
  hasErrors,
  objectKey,
  parseDuration,
  renderProfile,
  resolveValues,
  setCondition,
  validateProfile,
  type ClusterProfile,
  type ClusterProfileStatus,
  type Condition,
  type DriftRecord,
  type LayerStatus,
  type Manifest,
  type ObjectRef,
  type ScalingStatus,
} from '@kplane/profile';
import { objectHealth } from '../core/health.js';
import { decodeInventory, encodeInventory, mergeInventory, pruneSet, refOf, type InventoryEntry } from '../core/inventory.js';
import { managedDiff } from '../core/drift.js';
import { fingerprint, withOwnership, withReplicas } from '../core/objects.js';
import { planLayers } from '../core/plan.js';
import { redact } from '../core/redact.js';
import { statusChanged } from '../core/status.js';
import { KubeError, type KubeApi, objectPath, type Discovery, type ResourceInfo } from '@kplane/kube';
import type { Informer, KubeObject } from '@kplane/kube';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

export const DEFAULT_RESYNC_MS = 10 * 60_000;
/** How often a layer that is waiting for health is looked at again, besides watch events. */
const WAIT_POLL_MS = 2_000;
const APPLY_CONCURRENCY = 16;

export interface ReconcileResult {
  /** Run again after this long (resync, or a layer still becoming healthy). */
  requeueAfterMs?: number;
}

/** What the reconciler needs from the rest of the agent, injected so the wiring stays in one place. */
export interface ReconcilerDeps {
  api: KubeApi;
  discovery: Discovery;
  log: Logger;
  metrics: Metrics;
  namespace: string;
  profileCache(): Map<string, KubeObject>;
  /** Puts a profile the agent just wrote into the cache, so the next run does not act on a stale copy. */
  observeProfile(obj: KubeObject): void;
  /** The informer watching one owned kind, started and synced on first use. */
  informerFor(info: ResourceInfo): Promise<Informer>;
  /** Records an agent event (ClusterAgent status + a Kubernetes Event). */
  event(profile: ClusterProfile, severity: 'Normal' | 'Warning', reason: string, message: string): void;
  /** The replicas a scaling policy decided for a target, if any. */
  scaledReplicas(profileKey: string, profile: ClusterProfile, target: ObjectRef): number | undefined;
  scalingStatus(profileKey: string): ScalingStatus[] | undefined;
  now(): Date;
}

interface ObjectMemory {
  /** Fingerprint of what was last applied; a live difference while it is unchanged is drift. */
  applied: string;
  /** Paths the API server normalises (e.g. quantities): never counted as drift. */
  ignore: Set<string>;
}

export class ProfileReconciler {
  private readonly memory = new Map<string, ObjectMemory>();
  private readonly inventories = new Map<string, InventoryEntry[]>();
  private readonly drift = new Map<string, DriftRecord[]>();
  /** Consecutive runs of a profile that ended with failed objects, for the retry backoff. */
  private readonly failureStreak = new Map<string, number>();

  constructor(private readonly deps: ReconcilerDeps) {}

  async reconcile(key: string): Promise<ReconcileResult> {
    const cached = this.deps.profileCache().get(key) as unknown as ClusterProfile | undefined;
    if (!cached) {
      this.inventories.delete(key);
      this.drift.delete(key);
      return {};
    }
    const profile = structuredClone(cached);
    const secrets = sensitiveValues(profile);
    this.deps.log.addSecrets(secrets);
    const log = this.deps.log.child({ profile: key });

    if (profile.metadata.deletionTimestamp) {
      await this.finalize(key, profile, log);
      return {};
    }
    if (!(profile.metadata.finalizers ?? []).includes(FINALIZER)) {
      const updated = await this.deps.api.request<KubeObject>('PATCH', this.profilePath(profile), {
        body: { metadata: { finalizers: [...(profile.metadata.finalizers ?? []), FINALIZER], resourceVersion: profile.metadata.resourceVersion } },
        contentType: 'application/merge-patch+json',
      });
      this.deps.observeProfile(updated);
      profile.metadata.resourceVersion = updated.metadata.resourceVersion;
      profile.metadata.finalizers = updated.metadata.finalizers as string[] | undefined;
    }

    const now = this.deps.now();
    const generation = profile.metadata.generation;
    const previous = profile.status ?? {};
    const status: ClusterProfileStatus = { ...previous, observedGeneration: generation };
    const condition = (type: string, ok: boolean | 'Unknown', reason: string, message: string) => {
      status.conditions = setCondition(
        status.conditions,
        { type, status: ok === 'Unknown' ? 'Unknown' : ok ? 'True' : 'False', reason, message: redact(message, secrets), observedGeneration: generation },
        now,
      );
    };
    const resyncMs = parseDuration(profile.spec?.reconcile?.interval ?? '') ?? DEFAULT_RESYNC_MS;

    // 1. Validate with the same service the editor uses; an invalid profile changes nothing.
    const findings = validateProfile(profile).filter((f) => f.severity === 'error');
    const invalid = (reason: string, message: string) => {
      condition('SpecValid', false, reason, message);
      condition('Applied', false, 'InvalidSpec', 'Nothing was applied because the spec is invalid.');
      condition('Ready', false, 'InvalidSpec', 'The spec is invalid; see SpecValid.');
      // Scaling still says why it holds (min above max, a target that is no quantity).
      const scaling = this.deps.scalingStatus(key);
      if (scaling) status.scaling = scaling;
      return this.finish(profile, previous, status, log);
    };
    if (hasErrors(findings)) {
      const shown = findings.slice(0, 3).map((f) => `${formatPath(f.path) || '(document)'}: ${f.message}`);
      const more = findings.length > 3 ? ` (and ${findings.length - 3} more)` : '';
      await invalid('ValidationFailed', `${shown.join('; ')}${more}`);
      return { requeueAfterMs: resyncMs };
    }

    // 2. Render (discovery decides which kinds are cluster-scoped, CRDs included) and plan.
    const t0 = Date.now();
    const phases: Record<string, number> = {};
    const mark = (phase: string) => (phases[phase] = Date.now() - t0);
    mark('validated');
    const allManifests = profile.spec.layers.flatMap((l) => l.manifests ?? []);
    await this.deps.discovery.prime(allManifests);
    const rendered = renderProfile(profile.spec, (apiVersion, kind) => this.deps.discovery.isClusterScoped(apiVersion, kind));
    const plan = planLayers(rendered.layers);
    const problems = [...rendered.problems.map((p) => `${formatPath(['spec', ...p.path])}: ${p.message}`), ...plan.problems];
    if (problems.length) {
      await invalid('RenderFailed', problems.slice(0, 3).join('; '));
      return { requeueAfterMs: resyncMs };
    }
    condition('SpecValid', true, 'Valid', 'The spec is valid.');

    const mode = profile.spec.reconcile?.mode ?? 'enforce';
    const paused = profile.spec.paused === true;
    const desired = plan.order.map((layer) => ({
      layer,
      objects: layer.manifests.map((m) => {
        const owned = withOwnership(m, { namespace: profile.metadata.namespace ?? this.deps.namespace, name: profile.metadata.name }, layer.name);
        const replicas = this.deps.scaledReplicas(key, profile, refOf(m));
        return replicas === undefined ? owned : withReplicas(owned, replicas);
      }),
    }));
    const desiredRefs = desired.flatMap((d) => d.objects.map(refOf));
    const hash = fingerprint(desired.map((d) => d.objects));

    mark('rendered');
    // 3. Inventory first: whatever this run may create is remembered before it exists.
    const inventory = await this.inventory(key, profile);
    if (!paused) await this.saveInventory(key, profile, mergeInventory(inventory, desiredRefs));

    // 4. Layer by layer.
    const drift = this.drift.get(key) ?? [...(previous.drift ?? [])];
    const layers: LayerStatus[] = [];
    let blocked: string | undefined;
    let failedCount = 0;
    let readyCount = 0;
    let openDrift = 0;
    for (const { layer, objects } of desired) {
      if (blocked !== undefined) {
        layers.push({ name: layer.name, state: paused ? 'Paused' : 'Pending', resources: objects.length, ready: 0, message: blocked });
        continue;
      }
      const results = await mapLimit(objects, APPLY_CONCURRENCY, (obj) => this.syncObject(key, obj, { profile, paused, mode, drift, now, secrets, log, versionApplied: previous.appliedHash === hash }));
      mark(`layer ${layer.name}`);
      const failures = results.filter((r) => r.error);
      failedCount += failures.length;
      const healths = results.map((r) => objectHealth(r.live));
      const ready = healths.filter((h) => h.ready).length;
      readyCount += ready;
      openDrift += results.filter((r) => r.drifted).length;
      if (failures.length) {
        layers.push({ name: layer.name, state: 'Failed', resources: objects.length, ready, message: redact(failures[0].error!, secrets) });
        blocked = `waiting for layer "${layer.name}", which failed`;
      } else if (paused) {
        layers.push({ name: layer.name, state: 'Paused', resources: objects.length, ready });
      } else if (layer.wait && ready < objects.length) {
        const notReady = results.map((r, i) => ({ r, h: healths[i] })).find(({ h }) => !h.ready)!;
        const message = `${ready}/${objects.length} ready; ${describeObject(refOf(notReady.r.object))}: ${notReady.h.message}`;
        layers.push({ name: layer.name, state: healths.some((h) => h.failed) ? 'Failed' : 'Waiting', resources: objects.length, ready, message });
        blocked = `waiting for layer "${layer.name}" to become healthy`;
      } else {
        layers.push({ name: layer.name, state: 'Ready', resources: objects.length, ready });
      }
    }

    // 5. Prune what left the profile, only after everything desired is in place.
    let pruned = previous.resources?.pruned ?? 0;
    const complete = blocked === undefined && !paused;
    if (complete) {
      const leftovers = pruneSet(inventory, desiredRefs);
      if (profile.spec.reconcile?.prune && leftovers.length) {
        for (const ref of leftovers) await this.deleteObject(ref, log);
        pruned += leftovers.length;
        this.deps.event(profile, 'Normal', 'Pruned', `Deleted ${leftovers.length} object(s) no longer in the profile: ${leftovers.slice(0, 5).map(describeObject).join(', ')}.`);
        await this.saveInventory(key, profile, desiredRefs);
      } else if (!profile.spec.reconcile?.prune) {
        await this.saveInventory(key, profile, mergeInventory(inventory, desiredRefs));
      } else {
        await this.saveInventory(key, profile, desiredRefs);
      }
    }

    mark('pruned');
    // 6. Status.
    const total = desiredRefs.length;
    status.layers = layers;
    status.resources = { total, ready: readyCount, drifted: openDrift, failed: failedCount, pruned };
    status.drift = drift.slice(-STATUS_LIMITS.drift);
    this.drift.set(key, status.drift);
    const scaling = this.deps.scalingStatus(key);
    if (scaling) status.scaling = scaling;
    const stillDrifted = status.drift.filter((d) => !d.correctedTime).length;
    if (paused) {
      condition('Applied', false, 'Paused', 'The profile is paused: nothing is changed, status is still reported.');
    } else if (failedCount) {
      condition('Applied', false, 'ApplyFailed', layers.find((l) => l.state === 'Failed')?.message ?? 'An object could not be applied.');
    } else if (!complete) {
      condition('Applied', false, 'Progressing', blocked ?? 'Applying');
    } else {
      condition('Applied', true, 'Applied', `All ${total} object(s) of version ${profile.spec.version} are applied.`);
      if (previous.appliedHash !== hash || previous.appliedVersion !== profile.spec.version) {
        status.appliedVersion = profile.spec.version;
        status.appliedHash = hash;
        status.lastAppliedTime = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
      }
    }
    if (stillDrifted) condition('InSync', false, mode === 'monitor' ? 'DriftDetected' : 'Correcting', `${stillDrifted} object(s) differ from the profile${mode === 'monitor' ? ' (monitor mode: not corrected)' : ''}.`);
    else condition('InSync', true, 'InSync', 'Every managed field matches the profile.');
    const ready = complete && !failedCount && !stillDrifted;
    condition('Ready', ready, ready ? 'Ready' : paused ? 'Paused' : failedCount ? 'ApplyFailed' : !complete ? 'Progressing' : 'Drifted', ready ? `Version ${profile.spec.version} is applied and healthy.` : (blocked ?? 'Not every object matches the profile.'));

    await this.finish(profile, previous, status, log);
    mark('status');
    log.debug('reconciled', { ms: phases });
    if (failedCount) {
      // Failed objects often heal by themselves (a CRD becoming served, RBAC widened): retry
      // soon, then less and less often, never later than the resync.
      const streak = (this.failureStreak.get(key) ?? 0) + 1;
      this.failureStreak.set(key, streak);
      return { requeueAfterMs: Math.min(resyncMs, 500 * 2 ** Math.min(streak, 10)) };
    }
    this.failureStreak.delete(key);
    const waiting = !complete && !paused;
    return { requeueAfterMs: waiting ? WAIT_POLL_MS : resyncMs };
  }

  /** Applies one object when it is missing, changed in the profile, or drifted (enforce mode). */
  private async syncObject(
    profileKey: string,
    object: Manifest,
    ctx: { profile: ClusterProfile; paused: boolean; mode: 'enforce' | 'monitor'; drift: DriftRecord[]; now: Date; secrets: string[]; log: Logger; versionApplied: boolean },
  ): Promise<{ object: Manifest; live?: KubeObject; drifted?: boolean; error?: string }> {
    const ref = refOf(object);
    const key = objectKey(ref);
    const info = await this.deps.discovery.resource(object.apiVersion, object.kind);
    if (!info) return { object, error: `${describeObject(ref)}: the API server does not serve ${object.apiVersion} ${object.kind} (is its CRD in an earlier layer with wait: true?)` };
    let informer: Informer;
    try {
      informer = await this.deps.informerFor(info);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      return { object, error: redact(`${describeObject(ref)}: cannot watch ${info.plural} (${why}); grant the agent get/list/watch on it (agent/deploy/README.md)`, ctx.secrets) };
    }
    const live = informer.store.get(`${info.namespaced ? (ref.namespace ?? 'default') : ''}/${ref.name}`);
    const print = fingerprint(object);
    // The fingerprint travels on the object, so a restarted agent still tells drift (someone
    // changed what it applied) from a profile change (it has not applied this yet).
    const desired = withAnnotation(object, APPLIED_ANNOTATION, print);
    let memory = this.memory.get(key);
    if (!memory && live && (live.metadata.annotations as Record<string, string> | undefined)?.[APPLIED_ANNOTATION] === print) {
      // First sight since start of an object this profile version already applied: learn which
      // paths the API server normalises (a dry-run apply) before calling differences drift.
      const dry = await this.deps.api
        .request<KubeObject>('PATCH', objectPath(info, ref), { body: JSON.stringify(desired), contentType: 'application/apply-patch+yaml', query: { fieldManager: AGENT_FIELD_MANAGER, force: true, dryRun: 'All' } })
        .catch(() => undefined);
      memory = { applied: print, ignore: new Set(dry ? managedDiff(desired as unknown as Record<string, unknown>, dry as unknown as Record<string, unknown>) : []) };
      this.memory.set(key, memory);
    }
    const diff = live ? managedDiff(desired as unknown as Record<string, unknown>, live as unknown as Record<string, unknown>, memory?.ignore) : ['(deleted)'];
    if (!diff.length) {
      this.closeDrift(ctx.drift, ref, ctx.now, 'back in sync');
      if (!memory || memory.applied !== print) this.memory.set(key, { applied: print, ignore: memory?.ignore ?? new Set() });
      return { object, live };
    }
    // Drift: what this agent applied for this very version was changed or deleted by someone
    // else. Otherwise the profile asks for something new, which is simply applied. A deleted
    // object seen first after a restart counts as drift when the whole version had been applied.
    const isDrift = memory ? memory.applied === print : !live && ctx.versionApplied;
    if (isDrift) {
      const open = ctx.drift.find((d) => objectKey(d) === key && !d.correctedTime);
      if (!open) {
        ctx.drift.push({ ...ref, fields: diff.slice(0, 20), detectedTime: iso(ctx.now), message: live ? 'changed by someone else' : 'deleted by someone else' });
        ctx.log.info('drift detected', { object: describeObject(ref), fields: diff.slice(0, 20), mode: ctx.mode });
        const what = live ? `changed ${diff.slice(0, 5).join(', ')}` : 'deleted';
        this.deps.event(ctx.profile, 'Warning', 'DriftDetected', `${describeObject(ref)} was ${what} by someone else${ctx.mode === 'monitor' || ctx.paused ? '; not corrected (' + (ctx.paused ? 'paused' : 'monitor mode') + ')' : ''}.`);
      }
      if (ctx.paused || ctx.mode === 'monitor') return { object, live, drifted: true };
    } else if (ctx.paused) {
      return { object, live };
    }
    try {
      const started = Date.now();
      const applied = await this.deps.api.apply<KubeObject>(objectPath(info, ref), desired, AGENT_FIELD_MANAGER);
      this.deps.metrics.observe('kplane_agent_apply_duration_seconds', (Date.now() - started) / 1000);
      informer.observe(applied);
      // Whatever still differs right after our own apply is the API server's normalisation.
      const ignore = new Set(managedDiff(desired as unknown as Record<string, unknown>, applied as unknown as Record<string, unknown>));
      this.memory.set(key, { applied: print, ignore });
      if (isDrift) {
        this.closeDrift(ctx.drift, ref, this.deps.now(), 'corrected');
        this.deps.metrics.inc('kplane_agent_drift_corrections_total', { kind: ref.kind });
        ctx.log.info('drift corrected', { object: describeObject(ref), fields: diff.slice(0, 20) });
        this.deps.event(ctx.profile, 'Normal', 'DriftCorrected', `${describeObject(ref)} was put back (${diff.slice(0, 5).join(', ')}).`);
      }
      return { object, live: applied };
    } catch (err) {
      const message = redact(`${describeObject(ref)}: ${err instanceof Error ? err.message : String(err)}`, ctx.secrets);
      ctx.log.warn('apply failed', { object: describeObject(ref), error: message });
      return { object, live, error: message };
    }
  }

  private closeDrift(drift: DriftRecord[], ref: ObjectRef, now: Date, message: string): void {
    for (const record of drift) {
      if (!record.correctedTime && objectKey(record) === objectKey(ref)) {
        record.correctedTime = iso(now);
        record.message = `${record.message ?? 'drift'}; ${message}`;
      }
    }
  }

  private async deleteObject(ref: InventoryEntry, log: Logger): Promise<void> {
    const info = await this.deps.discovery.resource(ref.apiVersion, ref.kind);
    if (!info) return; // its kind is gone (a CRD was removed), and with it every object
    try {
      await this.deps.api.request('DELETE', objectPath(info, ref), { query: { propagationPolicy: 'Background' } });
      log.info('deleted', { object: describeObject(ref) });
    } catch (err) {
      if (!(err instanceof KubeError && err.status === 404)) throw err;
    }
    this.memory.delete(objectKey(ref));
  }

  /** Deleting a profile removes what it owns (namespaces and CRDs last), then lets the profile go. */
  private async finalize(key: string, profile: ClusterProfile, log: Logger): Promise<void> {
    if (!(profile.metadata.finalizers ?? []).includes(FINALIZER)) return;
    const inventory = await this.inventory(key, profile);
    const last = (e: InventoryEntry) => (e.kind === 'Namespace' || e.kind === 'CustomResourceDefinition' ? 1 : 0);
    const ordered = [...inventory].sort((a, b) => last(a) - last(b));
    for (const ref of ordered) await this.deleteObject(ref, log);
    try {
      await this.deps.api.request('DELETE', `/api/v1/namespaces/${profile.metadata.namespace}/configmaps/${inventoryName(profile.metadata.name)}`);
    } catch (err) {
      if (!(err instanceof KubeError && err.status === 404)) throw err;
    }
    try {
      const updated = await this.deps.api.request<KubeObject>('PATCH', this.profilePath(profile), {
        body: { metadata: { finalizers: (profile.metadata.finalizers ?? []).filter((f) => f !== FINALIZER), resourceVersion: profile.metadata.resourceVersion } },
        contentType: 'application/merge-patch+json',
      });
      this.deps.observeProfile(updated);
    } catch (err) {
      // 404: it is already gone (an earlier run removed the finalizer); nothing left to do.
      if (err instanceof KubeError && err.status === 404) return;
      throw err;
    }
    this.inventories.delete(key);
    this.drift.delete(key);
    this.deps.event(profile, 'Normal', 'Deleted', `Profile deleted; removed the ${inventory.length} object(s) it owned.`);
  }

  private async inventory(key: string, profile: ClusterProfile): Promise<InventoryEntry[]> {
    const cached = this.inventories.get(key);
    if (cached) return cached;
    const cm = await this.deps.api.getOrUndefined<{ data?: Record<string, string> }>(
      `/api/v1/namespaces/${profile.metadata.namespace}/configmaps/${inventoryName(profile.metadata.name)}`,
    );
    const entries = decodeInventory(cm?.data);
    this.inventories.set(key, entries);
    return entries;
  }

  private async saveInventory(key: string, profile: ClusterProfile, entries: InventoryEntry[]): Promise<void> {
    const next = mergeInventory(entries);
    const current = this.inventories.get(key);
    if (current && JSON.stringify(mergeInventory(current)) === JSON.stringify(next)) return;
    await this.deps.api.apply(
      `/api/v1/namespaces/${profile.metadata.namespace}/configmaps/${inventoryName(profile.metadata.name)}`,
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: inventoryName(profile.metadata.name),
          namespace: profile.metadata.namespace,
          labels: { 'kplane.dev/inventory-of': profile.metadata.name },
        },
        data: encodeInventory(next),
      },
      AGENT_FIELD_MANAGER,
    );
    this.inventories.set(key, next);
  }

  /** Writes status only when it says something new, and emits Events for condition flips. */
  private async finish(profile: ClusterProfile, previous: ClusterProfileStatus, status: ClusterProfileStatus, log: Logger): Promise<void> {
    for (const type of ['Ready', 'SpecValid', 'InSync', 'Applied']) {
      const before = previous.conditions?.find((c) => c.type === type);
      const after = status.conditions?.find((c) => c.type === type) as Condition | undefined;
      if (after && (before?.status !== after.status || (after.status === 'False' && before?.reason !== after.reason))) {
        const severity = after.status === 'True' || after.reason === 'Progressing' || after.reason === 'Paused' ? 'Normal' : 'Warning';
        this.deps.event(profile, severity, `${type}${after.status === 'True' ? '' : after.reason}`, `${type}=${after.status}: ${after.message}`);
      }
    }
    if (!statusChanged(previous, status)) return;
    const updated = await this.deps.api.request<KubeObject>('PATCH', `${this.profilePath(profile)}/status`, { body: { status }, contentType: 'application/merge-patch+json' });
    this.deps.observeProfile(updated);
    log.debug('status written', { ready: status.conditions?.find((c) => c.type === 'Ready')?.status });
  }

  private profilePath(profile: ClusterProfile): string {
    return `/apis/${API_VERSION}/namespaces/${profile.metadata.namespace}/${PROFILE_PLURAL}/${profile.metadata.name}`;
  }
}

/** On every applied object: the fingerprint of what was applied (see syncObject). */
export const APPLIED_ANNOTATION = 'kplane.dev/applied-hash';

function withAnnotation(manifest: Manifest, name: string, value: string): Manifest {
  return { ...manifest, metadata: { ...manifest.metadata, annotations: { ...(manifest.metadata.annotations ?? {}), [name]: value } } };
}

export function inventoryName(profile: string): string {
  return `kplane-inventory-${profile}`.slice(0, 253);
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

function iso(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

