/**
 * Helm hooks that delete themselves (helm.sh/hook-delete-policy hook-succeeded, hook-failed), as
 * Helm runs them: applied in their phase, waited for, then deleted once they succeeded
 * (hook-succeeded) or failed (hook-failed). A hook that succeeded and was deleted is not applied
 * again until it changes (new chart version or values, as Helm runs hooks on each upgrade): the
 * runs are remembered by object and fingerprint in the inventory ConfigMap (data.hooks, owned by a
 * field manager of its own so the inventory's apply leaves it alone), so a restarted agent does
 * not run them again either. A hook that failed and was deleted (hook-failed) is remembered the
 * same way with its failure and when (data.failedHooks): its phase stays Failed with that message,
 * and the hook is created again only when it changes or once the profile's reconcile interval has
 * passed (Helm runs a failed hook again at the next upgrade; re-running it on every wait poll
 * would make a new Job every few seconds and the layer flip between Failed and Waiting). Hooks
 * without these policies stay managed like the chart's objects.
 */
import { objectKey, type Manifest } from '@kplane/profile';
import { hasStatus, objectPath } from '@kplane/kube';
import { HOOK_ANNOTATION, HOOK_DELETE_POLICY_ANNOTATION } from '../../core/helmManifests.js';
import { refOf } from '../../core/inventory.js';
import { fingerprint } from '../../core/objects.js';
import type { LayerReport } from '../../core/layers.js';
import type { Layer } from '@kplane/profile';
import { errorText, type ReconcilerDeps, type RunContext } from './context.js';
import { inventoryPath } from './inventory.js';

const HOOKS_FIELD_MANAGER = 'kplane-agent-hooks';
/** Hook runs remembered per profile (the newest). */
const MAX_RECORDS = 500;

/** The delete policies of a hook object that make it transient, if any. */
export function transientPolicies(object: Manifest): { succeeded: boolean; failed: boolean } | undefined {
  const annotations = object.metadata.annotations ?? {};
  if (!annotations[HOOK_ANNOTATION]) return undefined;
  const policies = (annotations[HOOK_DELETE_POLICY_ANNOTATION] ?? '').split(',').map((p) => p.trim());
  const succeeded = policies.includes('hook-succeeded');
  const failed = policies.includes('hook-failed');
  return succeeded || failed ? { succeeded, failed } : undefined;
}

const runKey = (object: Manifest) => `${objectKey(refOf(object))}@${fingerprint(object)}`;

/** Runs remembered per profile: hooks that succeeded, and hooks that failed with why. */
interface Runs {
  done: string[];
  failed: Record<string, { message: string; at: number }>;
}

/** A phase whose hook failed before in this form: Failed, with the stored message, until the hook changes. */
export function failedHookReport(layer: Pick<Layer, 'name'>, resources: number, message: string): LayerReport {
  return { errors: [], drifted: 0, status: { name: layer.name, state: 'Failed', resources, ready: 0, message }, blocks: `waiting for layer "${layer.name}", whose hook failed` };
}

export class HookRuns {
  private readonly cache = new Map<string, Runs>();

  constructor(private readonly deps: Pick<ReconcilerDeps, 'api' | 'discovery'>) {}

  /**
   * The objects of a phase to apply: transient hooks that already succeeded in this form are left
   * out. `failed` is set when a hook of the phase failed in this form and was deleted less than a
   * reconcile interval ago: then nothing of the phase is applied.
   */
  async pending(ctx: RunContext, objects: readonly Manifest[]): Promise<{ objects: Manifest[]; failed?: string }> {
    if (!objects.some((o) => transientPolicies(o))) return { objects: objects as Manifest[] };
    const runs = await this.load(ctx);
    const recent = (o: Manifest) => {
      const record = runs.failed[runKey(o)];
      return record && Date.now() - record.at < ctx.resyncMs ? record : undefined;
    };
    const failed = objects.find((o) => transientPolicies(o)?.failed && recent(o));
    if (failed) return { objects: [], failed: recent(failed)!.message };
    const done = new Set(runs.done);
    return { objects: objects.filter((o) => !(transientPolicies(o) && done.has(runKey(o)))) };
  }

  /**
   * After a phase: its hook-succeeded hooks are deleted (and remembered) when the phase is
   * healthy, its hook-failed hooks deleted when it failed. Returns problems (deletes that failed).
   */
  async settle(ctx: RunContext, applied: readonly Manifest[], report: LayerReport, forget: (object: Manifest) => void): Promise<string[]> {
    if (ctx.paused || ctx.mode === 'monitor') return [];
    const state = report.status.state;
    const outcome = state === 'Ready' ? 'succeeded' : state === 'Failed' && !report.errors.length ? 'failed' : undefined;
    if (!outcome) return [];
    const problems: string[] = [];
    const succeeded: string[] = [];
    const failed: Runs['failed'] = {};
    for (const object of applied) {
      const policies = transientPolicies(object);
      if (!policies || !policies[outcome]) continue;
      const info = await this.deps.discovery.resource(object.apiVersion, object.kind);
      if (!info) continue;
      try {
        // Background: a hook Job's pods go with it, as with helm.
        await this.deps.api.request('DELETE', objectPath(info, refOf(object)), { query: { propagationPolicy: 'Background' } });
      } catch (err) {
        if (!hasStatus(err, 404)) {
          problems.push(`${object.kind} ${object.metadata.name}: cannot delete the hook after it ${outcome} (${errorText(err)})`);
          continue;
        }
      }
      forget(object);
      if (outcome === 'succeeded') succeeded.push(runKey(object));
      else {
        const again = `runs again when it changes (chart version or values) or in ${Math.round(ctx.resyncMs / 1000)} s (the profile's reconcile interval)`;
        failed[runKey(object)] = { message: `hook failed (${report.status.message ?? 'not healthy'}); ${object.kind} ${object.metadata.name} was deleted as its hook-delete-policy hook-failed says, and ${again}`, at: Date.now() };
      }
      ctx.log.info(`hook ${outcome}, deleted as its hook-delete-policy says`, { object: `${object.kind} ${object.metadata.name}` });
    }
    if (succeeded.length || Object.keys(failed).length) {
      const runs = await this.load(ctx);
      await this.save(ctx, { done: [...runs.done, ...succeeded], failed: { ...runs.failed, ...failed } });
    }
    return problems;
  }

  forget(key: string): void {
    this.cache.delete(key);
  }

  private async load(ctx: RunContext): Promise<Runs> {
    const cached = this.cache.get(ctx.key);
    if (cached) return cached;
    const cm = await this.deps.api.getOrUndefined<{ data?: Record<string, string> }>(inventoryPath(ctx.profile));
    const read = (field: string): unknown => {
      try {
        return JSON.parse(cm?.data?.[field] ?? 'null');
      } catch {
        return null;
      }
    };
    const done = read('hooks');
    const failed = read('failedHooks');
    const runs: Runs = {
      done: Array.isArray(done) ? done.filter((r): r is string => typeof r === 'string') : [],
      failed: Object.fromEntries(
        Object.entries(failed && typeof failed === 'object' && !Array.isArray(failed) ? failed : {}).filter(
          (e): e is [string, { message: string; at: number }] => typeof e[1]?.message === 'string' && typeof e[1]?.at === 'number',
        ),
      ),
    };
    this.cache.set(ctx.key, runs);
    return runs;
  }

  private async save(ctx: RunContext, runs: Runs): Promise<void> {
    const next: Runs = { done: [...new Set(runs.done)].slice(-MAX_RECORDS), failed: Object.fromEntries(Object.entries(runs.failed).slice(-MAX_RECORDS)) };
    const { profile } = ctx;
    await this.deps.api.apply(
      inventoryPath(profile),
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: inventoryPath(profile).split('/').pop()!, namespace: profile.metadata.namespace },
        data: { hooks: JSON.stringify(next.done), failedHooks: JSON.stringify(next.failed) },
      },
      HOOKS_FIELD_MANAGER,
    );
    this.cache.set(ctx.key, next);
  }
}
