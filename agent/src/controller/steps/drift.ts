/**
 * Drift detection: tells an object someone else changed or deleted (drift) from one the
 * profile simply asks something new of, keeps the drift records shown in status, and says so
 * in Events. What counts as a difference is ../../core/drift.ts; what the API server
 * normalises (e.g. quantities) is learnt from dry-run and real applies and never counted.
 */
import { AGENT_FIELD_MANAGER, STATUS_LIMITS, describeObject, objectKey, type DriftRecord, type Manifest, type ObjectRef } from '@kplane/profile';
import { managedDiff } from '../../core/drift.js';
import { hasStatus, type KubeObject } from '@kplane/kube';
import { digestSchemas, digestsOf } from '../schemaDigest.js';
import { iso, type ReconcilerDeps, type RunContext } from './context.js';

/** On every applied object: the fingerprint of what was applied (see DriftDetector.inspect). */
export const APPLIED_ANNOTATION = 'kplane.dev/applied-hash';

export type DriftVerdict =
  | { state: 'inSync' }
  /** The profile asks for something this agent has not applied yet: apply it. */
  | { state: 'changed'; diff: string[] }
  /** What this agent applied for this very version was changed or deleted by someone else. */
  | { state: 'drifted'; diff: string[] };

export interface Inspected {
  ref: ObjectRef;
  /** The object to apply, carrying APPLIED_ANNOTATION = `print`. */
  desired: Manifest;
  print: string;
  live?: KubeObject;
  /** Its API path, for a dry-run apply. */
  path: string;
  /** The profile's status says this very version was applied in full. */
  versionApplied: boolean;
}

interface ObjectMemory {
  /** Fingerprint of what was last applied; a live difference while it is unchanged is drift. */
  applied: string;
  /** Paths the API server normalises: never counted as drift. */
  ignore: Set<string>;
  /**
   * The live resourceVersion last found in sync with `applied`: a live object still at that
   * version needs no comparison (it was a walk over the whole object, a CRD's schema included, on
   * every run).
   */
  inSyncAt?: string;
  /**
   * The digests of the big schemas a cached CRD carries (../schemaDigest.ts) when it was last
   * found in sync with `applied`: while they are the same, only the rest of it is compared.
   */
  digests?: string;
}

type Obj = Record<string, unknown>;

export class DriftDetector {
  private readonly memory = new Map<string, ObjectMemory>();
  private readonly records = new Map<string, DriftRecord[]>();

  constructor(private readonly deps: Pick<ReconcilerDeps, 'api' | 'event' | 'metrics' | 'now'>) {}

  async inspect(ctx: RunContext, o: Inspected): Promise<DriftVerdict> {
    const key = objectKey(o.ref);
    let memory = this.memory.get(key);
    // The fingerprint travels on the object, so a restarted agent still tells drift (someone
    // changed what it applied) from a profile change (it has not applied this yet).
    if (!memory && o.live && (o.live.metadata.annotations as Record<string, string> | undefined)?.[APPLIED_ANNOTATION] === o.print) {
      // First sight since start of an object this profile version already applied: learn which
      // paths the API server normalises (a dry-run apply) before calling differences drift.
      ctx.signal.throwIfAborted();
      const dry = await this.deps.api
        .request<KubeObject>('PATCH', o.path, { body: JSON.stringify(o.desired), contentType: 'application/apply-patch+yaml', query: { fieldManager: AGENT_FIELD_MANAGER, force: true, dryRun: 'All' } })
        .catch(() => undefined);
      memory = { applied: o.print, ignore: new Set(dry ? managedDiff(o.desired as unknown as Obj, dry as unknown as Obj) : []) };
      this.memory.set(key, memory);
    }
    if (memory && memory.applied === o.print && o.live?.metadata.resourceVersion !== undefined && memory.inSyncAt === o.live.metadata.resourceVersion) return { state: 'inSync' };
    let live = o.live;
    let diff: string[] | undefined;
    const digests = live && digestsOf(live);
    if (live && digests) {
      // A cached CRD whose big schemas are digests: the schemas found in sync with this very
      // print, and the rest in sync too, is in sync. Anything else is decided on the whole object.
      if (memory?.applied === o.print && memory.digests === digests.signature) {
        const rest = managedDiff(o.desired as unknown as Obj, live as unknown as Obj, new Set([...memory.ignore, ...digests.paths]));
        if (!rest.length) diff = rest;
      }
      if (!diff) live = await this.whole(ctx, o.path);
    }
    diff ??= live ? managedDiff(o.desired as unknown as Obj, live as unknown as Obj, memory?.ignore) : ['(deleted)'];
    const records = this.recordsOf(ctx);
    if (!diff.length) {
      close(records, o.ref, ctx.now, 'back in sync');
      const seen = live === o.live && digests ? digests.signature : live && digestsOf(digestSchemas(live))?.signature;
      this.memory.set(key, { applied: o.print, ignore: memory?.ignore ?? new Set(), inSyncAt: live?.metadata.resourceVersion, digests: seen });
      return { state: 'inSync' };
    }
    // A deleted object seen first after a restart counts as drift when the whole version had been applied.
    const drifted = memory ? memory.applied === o.print : !live && o.versionApplied;
    if (!drifted) return { state: 'changed', diff };
    if (!records.some((d) => objectKey(d) === key && !d.correctedTime)) {
      records.push({ ...o.ref, fields: diff.slice(0, 20), detectedTime: iso(ctx.now), message: live ? 'changed by someone else' : 'deleted by someone else' });
      ctx.log.info('drift detected', { object: describeObject(o.ref), fields: diff.slice(0, 20), mode: ctx.mode });
      const what = live ? `changed ${diff.slice(0, 5).join(', ')}` : 'deleted';
      const left = ctx.paused ? '; not corrected (paused)' : ctx.mode === 'monitor' ? '; not corrected (monitor mode)' : '';
      this.deps.event(ctx.profile, 'Warning', 'DriftDetected', `${describeObject(o.ref)} was ${what} by someone else${left}.`);
    }
    return { state: 'drifted', diff };
  }

  /** After an apply: whatever still differs right after it is the API server's normalisation. */
  applied(o: Inspected, result: KubeObject): void {
    this.memory.set(objectKey(o.ref), {
      applied: o.print,
      ignore: new Set(managedDiff(o.desired as unknown as Obj, result as unknown as Obj)),
      inSyncAt: result.metadata.resourceVersion,
      digests: digestsOf(digestSchemas(result))?.signature,
    });
  }

  /** The whole live object (the cache keeps digests of its big parts); undefined when it is gone. */
  private async whole(ctx: RunContext, path: string): Promise<KubeObject | undefined> {
    ctx.signal.throwIfAborted();
    try {
      return await this.deps.api.request<KubeObject>('GET', path, { signal: ctx.signal });
    } catch (err) {
      if (hasStatus(err, 404)) return undefined;
      throw err;
    }
  }

  /** Drift that an apply just put back. */
  corrected(ctx: RunContext, ref: ObjectRef, diff: readonly string[]): void {
    close(this.recordsOf(ctx), ref, this.deps.now(), 'corrected');
    this.deps.metrics.inc('kplane_agent_drift_corrections_total', { kind: ref.kind });
    ctx.log.info('drift corrected', { object: describeObject(ref), fields: diff.slice(0, 20) });
    this.deps.event(ctx.profile, 'Normal', 'DriftCorrected', `${describeObject(ref)} was put back (${diff.slice(0, 5).join(', ')}).`);
  }

  /** The profile's drift records as status shows them: the newest, within the status limit. */
  report(ctx: RunContext): DriftRecord[] {
    const kept = this.recordsOf(ctx).slice(-STATUS_LIMITS.drift);
    this.records.set(ctx.key, kept);
    return kept;
  }

  forgetObject(ref: ObjectRef): void {
    this.memory.delete(objectKey(ref));
  }

  forgetProfile(key: string): void {
    this.records.delete(key);
  }

  /** Carried between runs; a fresh agent starts from what status says (a copy: status is compared against it). */
  private recordsOf(ctx: RunContext): DriftRecord[] {
    let records = this.records.get(ctx.key);
    if (!records) this.records.set(ctx.key, (records = structuredClone(ctx.previous.drift ?? [])));
    return records;
  }
}

function close(records: DriftRecord[], ref: ObjectRef, now: Date, message: string): void {
  for (const record of records) {
    if (!record.correctedTime && objectKey(record) === objectKey(ref)) {
      record.correctedTime = iso(now);
      record.message = `${record.message ?? 'drift'}; ${message}`;
    }
  }
}
