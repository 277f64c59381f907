/**
 * Status: what one run found, written to the profile's status subresource only when it says
 * something new, with one Event per condition that flipped. The conditions themselves are
 * derived by ../../core/conditions.ts (pure, unit-tested).
 */
import { AGENT_FIELD_MANAGER, isConditionTrue, type ClusterProfile, type ClusterProfileStatus, type LayerStatus } from '@kplane/profile';
import { conditionEvents, deriveConditions, isComplete, mergeConditions, type InvalidReason, type ReconcileOutcome } from '../../core/conditions.js';
import type { LayerReport } from '../../core/layers.js';
import { redact } from '../../core/redact.js';
import { holdsProgress, progressHoldMs, statusPatch } from '../../core/status.js';
import { METADATA_ONLY, type KubeObject } from '@kplane/kube';
import { iso, profilePath, writtenProfile, type ReconcilerDeps, type RunContext } from './context.js';
import type { DriftDetector } from './drift.js';

/** What the layers, prune and drift steps found, for a profile whose spec is valid. */
export interface RunReport {
  layers: readonly LayerReport[];
  /** Objects the profile asks for, and the fingerprint of all of them. */
  total: number;
  hash: string;
  /** Objects deleted by pruning in this run. */
  pruned: number;
}

export class StatusWriter {
  /** Per profile: the generation this agent works on, and when it last wrote its status or began on that generation. */
  private readonly written = new Map<string, { generation?: number; at: number; writeMs?: number }>();
  /** How long the last status write of any profile took: the API server's pace, for profiles not written yet. */
  private lastWriteMs?: number;
  /** Profiles whose last run held a progress write back. */
  private readonly held = new Set<string>();
  /**
   * Profile key → the status of a write in flight that says Ready for the profile's generation.
   * Profiles that depend on it go on from this (readyAhead), without waiting for the write: the
   * API server rewrites the whole stored profile on a status write, 1-2 s for a 1.4 MB part of a
   * split stack at the bench's load, and the agent already knows what the write will say.
   */
  private readonly inFlight = new Map<string, { generation?: number; status: ClusterProfileStatus }>();

  constructor(
    private readonly deps: Pick<ReconcilerDeps, 'api' | 'event' | 'observeProfile' | 'queueDependents' | 'scalingStatus' | 'now'>,
    private readonly drift: DriftDetector,
  ) {}

  /** The spec is invalid: say why, and change nothing else but the scaling status. */
  async invalid(ctx: RunContext, reason: InvalidReason, message: string): Promise<void> {
    const status = this.base(ctx);
    // Scaling still says why it holds (min above max, a target that is no quantity).
    const scaling = this.deps.scalingStatus(ctx.key);
    if (scaling) status.scaling = scaling;
    await this.write(ctx, status, { spec: 'invalid', reason, message });
  }

  /** Profiles it depends on are not Ready: say which, and change nothing else but the scaling status. */
  async waiting(ctx: RunContext, message: string): Promise<void> {
    const status = this.base(ctx);
    const scaling = this.deps.scalingStatus(ctx.key);
    if (scaling) status.scaling = scaling;
    await this.write(ctx, status, { spec: 'waiting', message });
  }

  async report(ctx: RunContext, run: RunReport): Promise<void> {
    const { profile, previous } = ctx;
    const status = this.base(ctx);
    const layers: LayerStatus[] = run.layers.map((l) => (l.status.message === undefined ? l.status : { ...l.status, message: redact(l.status.message, ctx.secrets) }));
    const sum = (f: (l: LayerReport) => number) => run.layers.reduce((n, l) => n + f(l), 0);
    const failed = sum((l) => l.errors.length);
    status.layers = layers;
    status.resources = { total: run.total, ready: sum((l) => l.status.ready), drifted: sum((l) => l.drifted), failed, pruned: (previous.resources?.pruned ?? 0) + run.pruned };
    status.drift = this.drift.report(ctx);
    const scaling = this.deps.scalingStatus(ctx.key);
    if (scaling) status.scaling = scaling;
    const outcome: ReconcileOutcome = {
      spec: 'valid',
      version: profile.spec.version,
      mode: ctx.mode,
      paused: ctx.paused,
      total: run.total,
      failed,
      failedMessage: layers.find((l) => l.state === 'Failed')?.message,
      blocked: run.layers.find((l) => l.blocks)?.blocks,
      openDrift: status.drift.filter((d) => !d.correctedTime).length,
    };
    // appliedVersion moves only once every object of the version is applied (and healthy where waited for).
    if (isComplete(outcome) && !failed && (previous.appliedHash !== run.hash || previous.appliedVersion !== profile.spec.version)) {
      status.appliedVersion = profile.spec.version;
      status.appliedHash = run.hash;
      status.lastAppliedTime = iso(ctx.now);
    }
    await this.write(ctx, status, outcome);
  }

  /** How long until a progress write this run held back (PROGRESS_WRITE_MS) is due; undefined when none was. */
  heldBackMs(ctx: RunContext): number | undefined {
    const last = this.written.get(ctx.key);
    return last && this.held.has(ctx.key) ? Math.max(100, last.at + this.holdMs(last) - this.deps.now().getTime()) : undefined;
  }

  forget(key: string): void {
    this.written.delete(key);
    this.held.delete(key);
  }

  /**
   * `cached` as the profiles depending on it should see it: with the status of a write in flight
   * that says Ready for its generation (see inFlight), else as cached.
   */
  readyAhead(key: string, cached: ClusterProfile | undefined): ClusterProfile | undefined {
    const ahead = this.inFlight.get(key);
    if (!cached || !ahead || ahead.generation !== cached.metadata.generation || cached.metadata.deletionTimestamp) return cached;
    return { ...cached, status: ahead.status };
  }

  private base(ctx: RunContext): ClusterProfileStatus {
    return { ...ctx.previous, observedGeneration: ctx.profile.metadata.generation };
  }

  private async write(ctx: RunContext, status: ClusterProfileStatus, outcome: ReconcileOutcome): Promise<void> {
    const { profile, previous } = ctx;
    status.conditions = mergeConditions(status.conditions, deriveConditions(outcome), { now: ctx.now, generation: profile.metadata.generation, secrets: ctx.secrets });
    this.held.delete(ctx.key);
    if (this.holdBack(ctx, status)) {
      this.held.add(ctx.key);
      return;
    }
    for (const e of conditionEvents(previous.conditions, status.conditions)) this.deps.event(profile, e.severity, e.reason, e.message);
    const patch = statusPatch(previous, status);
    if (!patch) return;
    ctx.signal.throwIfAborted();
    const ready = status.observedGeneration === profile.metadata.generation && isConditionTrue(status.conditions, 'Ready');
    if (ready) {
      this.inFlight.set(ctx.key, { generation: profile.metadata.generation, status });
      this.deps.queueDependents(profile.metadata.namespace ?? '', profile.metadata.name);
    }
    let updated: KubeObject;
    const started = Date.now();
    try {
      // Only what changed (core/status.ts); the spec is never sent, and the write carries the agent's field manager.
      updated = await this.deps.api.request<KubeObject>('PATCH', `${profilePath(profile)}/status`, {
        body: { status: patch },
        contentType: 'application/merge-patch+json',
        query: { fieldManager: AGENT_FIELD_MANAGER },
        accept: METADATA_ONLY,
      });
    } finally {
      if (ready) this.inFlight.delete(ctx.key);
    }
    const stored = writtenProfile(profile, updated, status);
    if (stored) this.deps.observeProfile(stored);
    this.lastWriteMs = Date.now() - started;
    this.written.set(ctx.key, { generation: profile.metadata.generation, at: this.deps.now().getTime(), writeMs: this.lastWriteMs });
    ctx.log.debug('status written', { ready: status.conditions.find((c) => c.type === 'Ready')?.status });
  }

  /** A progress write within PROGRESS_WRITE_MS (or longer, holdMs) of the last write, or of this agent's first run of the generation. */
  private holdBack(ctx: RunContext, next: ClusterProfileStatus): boolean {
    const generation = ctx.profile.metadata.generation;
    const now = this.deps.now().getTime();
    const known = this.written.get(ctx.key);
    const last = known && known.generation === generation ? known : { generation, at: now, writeMs: known?.writeMs };
    if (last !== known) this.written.set(ctx.key, last);
    return holdsProgress(next, now - last.at, this.holdMs(last));
  }

  /** PROGRESS_WRITE_MS, longer when status writes are slow (progressHoldMs): this profile's last write, else any profile's. */
  private holdMs(last: { writeMs?: number }): number {
    return progressHoldMs(last.writeMs ?? this.lastWriteMs);
  }
}
