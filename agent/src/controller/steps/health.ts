/**
 * Health: whether a layer lets the next one go. The rules are pure (../../core/layers.ts, on
 * ../../core/health.ts): a failed object fails the layer; a `wait: true` layer waits until
 * every object is healthy; either blocks the layers after it until a later run (a watch event
 * or the wait poll) finds it ready.
 */
import { reportLayer, type LayerReport, type ObjectResult } from '../../core/layers.js';
import type { RunContext } from './context.js';
import type { DesiredLayer } from './render.js';

/** How often a layer that is waiting for health is looked at again, besides watch events. */
export const WAIT_POLL_MS = 2_000;

export function checkHealth(ctx: RunContext, { layer }: DesiredLayer, results: readonly ObjectResult[]): LayerReport {
  const report = reportLayer(layer, results, ctx.paused);
  if (report.blocks) ctx.log.debug('layer blocks the next', { layer: layer.name, state: report.status.state, message: report.status.message });
  return report;
}
