/**
 * Reconciles one ClusterProfile, level-triggered and idempotent: everything it does follows
 * from the profile (read from the informer cache), the live objects (read from the per-kind
 * informer caches) and the inventory; it can be run any number of times, or be killed at any
 * point, and the next run finishes the job.
 *
 * A run is a sequence of steps (./steps/*), after rancher/fleet's BundleDeployment reconciler:
 * render → policy → validate → inventory → per layer apply (with drift detection) and health →
 * prune → status.
 * Problems of the run come back as one ReconcileError, after status says what happened; the
 * work queue alone decides when to retry. Aborting `signal` stops the run before its next
 * request.
 */
import { describeObject, type ClusterProfile } from '@kplane/profile';
import { dependencyMessage, unreadyDependencies } from '../core/dependencies.js';
import { blockedLayer, failedLayer, mergeLayerReports, type LayerReport } from '../core/layers.js';
import { fingerprint } from '../core/objects.js';
import { refOf } from '../core/inventory.js';
import { redact } from '../core/redact.js';
import type { ChartPart } from './steps/chart.js';
import { Applier } from './steps/apply.js';
import { ExpandedSpecs, ReconcileError, runContext, type ReconcilerDeps, type RunContext } from './steps/context.js';
import { DriftDetector } from './steps/drift.js';
import { checkHealth, WAIT_POLL_MS } from './steps/health.js';
import { failedHookReport, HookRuns } from './steps/hooks.js';
import { InventoryStore } from './steps/inventory.js';
import { checkPolicy } from './steps/policy.js';
import { Pruner } from './steps/prune.js';
import { Renderer } from './steps/render.js';
import { StatusWriter } from './steps/status.js';
import { ManifestValidator } from './steps/validate.js';
import type { DesiredLayer, Rendered } from './steps/render.js';
import type { InvalidReason } from '../core/conditions.js';
import type { PolicyViolation } from '../core/policy.js';

export { DEFAULT_RESYNC_MS, ReconcileError, sensitiveValues, type ReconcilerDeps } from './steps/context.js';
export { APPLIED_ANNOTATION } from './steps/drift.js';
export { inventoryName } from './steps/inventory.js';

export interface ReconcileResult {
  /** Run again after this long (resync, or a layer still becoming healthy). */
  requeueAfterMs?: number;
}

/** What a run found before writing anything (ProfileReconciler.prepare). */
type Prepared =
  | { kind: 'invalid'; reason: InvalidReason; message: string; violations?: readonly PolicyViolation[] }
  | { kind: 'waiting'; message: string }
  | { kind: 'ready'; rendered: Extract<Rendered, { ok: true }>; refused: Map<DesiredLayer, string> };

export class ProfileReconciler {
  private readonly inventory: InventoryStore;
  private readonly drift: DriftDetector;
  private readonly applier: Applier;
  private readonly pruner: Pruner;
  private readonly status: StatusWriter;
  private readonly hooks: HookRuns;
  private readonly validator?: ManifestValidator;
  private readonly renderer: Renderer;
  /** The decoded specs of compressed profiles, one a profile (./steps/context.ts). */
  readonly specs = new ExpandedSpecs();

  constructor(private readonly deps: ReconcilerDeps) {
    this.inventory = new InventoryStore(deps);
    this.drift = new DriftDetector(deps);
    this.applier = new Applier(deps, this.drift);
    this.pruner = new Pruner(deps, this.inventory, this.drift);
    this.status = new StatusWriter(deps, this.drift);
    this.hooks = new HookRuns(deps);
    if (deps.validateSchemas !== false) this.validator = new ManifestValidator(deps);
    this.renderer = new Renderer(deps);
  }

  /** Throws a ReconcileError when an object could not be applied or pruned (status says so first). */
  async reconcile(key: string, signal: AbortSignal = new AbortController().signal): Promise<ReconcileResult> {
    const cached = this.deps.profileCache().get(key) as unknown as ClusterProfile | undefined;
    if (!cached) {
      this.inventory.forget(key);
      this.hooks.forget(key);
      this.drift.forgetProfile(key);
      this.validator?.forget(key);
      this.renderer.forget(key);
      this.status.forget(key);
      this.specs.forget(key);
      this.deps.log.forgetSecrets(key);
      return {};
    }
    const ctx = runContext(key, cached, this.deps, this.specs, signal);
    if (ctx.profile.metadata.deletionTimestamp) {
      // The stored charts first: once the finalizer is gone nothing would remove them.
      if (ctx.profile.spec?.layers?.some((l) => l.helm)) await this.deps.charts.forget({ namespace: ctx.profile.metadata.namespace!, name: ctx.profile.metadata.name });
      await this.pruner.finalize(ctx);
      return {};
    }
    // The finalizer is written while the run renders, waits for dependencies, checks policy and
    // validates (all reads), and is settled before anything is written: a status write (it would
    // change the resourceVersion the finalizer patch is conditional on), the inventory, any
    // object, or the charts a Helm layer stores while rendering (then it goes first). On a split
    // stack this write of a 1.4 MB part (the API server rewrites the whole profile) stood before
    // all the rest of the part's first run.
    const time = stopwatch();
    const finalizer = this.pruner.ensureFinalizer(ctx);
    finalizer.catch(() => undefined); // a rejection is thrown by the await below; this only keeps it from counting as unhandled meanwhile
    if (ctx.profile.spec?.layers?.some((l) => l.helm)) await finalizer;
    let prepared: Prepared;
    try {
      prepared = await this.prepare(ctx, time);
    } finally {
      await finalizer;
    }
    if (prepared.kind === 'invalid') {
      if (prepared.violations) ctx.log.warn('refused by the local policy', { reason: prepared.reason, objects: prepared.violations.slice(0, 10).map((v) => ({ object: describeObject(v.ref), rule: v.rule })) });
      await this.status.invalid(ctx, prepared.reason, prepared.message);
      return { requeueAfterMs: ctx.resyncMs };
    }
    if (prepared.kind === 'waiting') {
      await this.status.waiting(ctx, prepared.message);
      return { requeueAfterMs: this.status.heldBackMs(ctx) ?? ctx.resyncMs };
    }
    time('finalizer');
    const { rendered, refused } = prepared;
    const before = await this.inventory.widen(ctx, rendered.refs);

    const versionApplied = ctx.previous.appliedHash === rendered.hash;
    const parts: { report: LayerReport; chart?: ChartPart }[] = [];
    for (const desired of rendered.layers) {
      const blocked = parts.find((l) => l.report.blocks)?.report.blocks;
      let report: LayerReport;
      if (blocked) report = blockedLayer(desired.layer, desired.objects.length, ctx.paused, blocked);
      else if (desired.chart?.error) report = failedLayer(desired.layer, redact(desired.chart.error, ctx.secrets));
      else if (refused.has(desired)) report = failedLayer(desired.layer, refused.get(desired)!);
      else {
        // Hooks that delete themselves run once per form (./steps/hooks.ts); the rest like any object.
        const hookPhase = desired.chart?.phase === 'pre' || desired.chart?.phase === 'post';
        const { objects, failed } = hookPhase ? await this.hooks.pending(ctx, desired.objects) : { objects: desired.objects, failed: undefined };
        if (failed !== undefined) report = failedHookReport(desired.layer, desired.objects.length, redact(failed, ctx.secrets));
        else {
          report = checkHealth(ctx, desired, await this.applier.applyLayer(ctx, objects, versionApplied));
          if (objects !== desired.objects) report.errors.push(...(await this.hooks.settle(ctx, objects, report, (o) => this.drift.forgetObject(refOf(o)))));
        }
      }
      parts.push({ report, chart: desired.chart });
      time(`layer ${desired.layer.name}${desired.chart?.phase ? `/${desired.chart.phase}` : ''}`);
    }
    // A Helm layer ran as several phases; status shows it as one layer with its chart.
    const layers = mergeLayerReports(parts, ctx.previous.layers);
    const complete = !ctx.paused && !layers.some((l) => l.blocks);
    const pruned = complete ? await this.pruner.prune(ctx, before, rendered.refs) : { pruned: 0, errors: [] };
    time('pruned');

    await this.status.report(ctx, { layers, total: rendered.refs.length, hash: rendered.hash, pruned: pruned.pruned });
    ctx.log.debug('reconciled', { ms: time('status') });
    const problems = [...layers.flatMap((l) => l.errors), ...pruned.errors];
    if (problems.length) throw new ReconcileError(key, problems);
    // Charts rendered against APIs that this run changed (a CRD became served) render again at once,
    // so `.Capabilities.APIVersions` conditionals see it without waiting for the resync.
    if (complete && rendered.apis !== undefined && fingerprint((await this.deps.discovery.capabilities(0)).apiVersions) !== rendered.apis) return { requeueAfterMs: 100 };
    return { requeueAfterMs: complete || ctx.paused ? ctx.resyncMs : WAIT_POLL_MS };
  }

  /** Everything a run reads before it writes: render, the dependencies, the local policy, the schemas. */
  private async prepare(ctx: RunContext, time: (phase: string) => Record<string, number>): Promise<Prepared> {
    const rendered = await this.renderer.render(ctx);
    if (!rendered.ok) return { kind: 'invalid', reason: rendered.reason, message: rendered.message };
    time('rendered');
    // Profiles it depends on first (a paused profile changes nothing anyway); a change of their
    // status queues this one again (agentRuntime.ts), the resync is only the safety net.
    // A dependency whose Ready status this agent is writing counts as Ready already (StatusWriter.readyAhead).
    const waiting = ctx.paused ? [] : unreadyDependencies(ctx.profile, (namespace, name) => this.status.readyAhead(`${namespace}/${name}`, this.deps.profileCache().get(`${namespace}/${name}`) as unknown as ClusterProfile | undefined));
    if (waiting.length) return { kind: 'waiting', message: dependencyMessage(waiting) };
    // The cluster's local policy, before anything is applied or even put in the inventory.
    const verdict = await checkPolicy(ctx, this.deps, rendered.layers, await this.inventory.load(ctx));
    if (!verdict.ok) return { kind: 'invalid', reason: verdict.reason, message: verdict.message, violations: verdict.violations };
    ctx.adopting = verdict.adopting;
    time('policy');
    // Objects this cluster's API would refuse fail their layer with a message naming the field
    // (unless --validate-schemas=false: then the API server's own refusal fails the layer on apply).
    const refused = this.validator ? await this.validator.check(ctx, rendered.layers, rendered.hash) : new Map<DesiredLayer, string>();
    time('validated');
    return { kind: 'ready', rendered, refused };
  }
}

/** Milliseconds since the start at each named phase, for the `reconciled` debug log. */
function stopwatch(): (phase: string) => Record<string, number> {
  const start = Date.now();
  const phases: Record<string, number> = {};
  return (phase) => {
    phases[phase] = Date.now() - start;
    return phases;
  };
}
