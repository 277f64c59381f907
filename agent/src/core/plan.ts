/**
 * The order in which layers are applied: every layer after the layers it depends on, and
 * otherwise in list order (so a profile without dependsOn applies top to bottom).
 */
import type { RenderedLayer } from '@kplane/profile';

export interface LayerPlan {
  order: RenderedLayer[];
  /** Human-readable problems (unknown dependency, cycle); a plan with problems must not be applied. */
  problems: string[];
}

export function planLayers(layers: readonly RenderedLayer[]): LayerPlan {
  const problems: string[] = [];
  const byName = new Map(layers.map((layer) => [layer.name, layer]));
  for (const layer of layers) {
    for (const dep of layer.dependsOn) {
      if (!byName.has(dep)) problems.push(`Layer "${layer.name}" depends on "${dep}", which no layer is called: fix spec.layers[].dependsOn.`);
    }
  }
  const done = new Set<string>();
  const order: RenderedLayer[] = [];
  // Kahn's algorithm, always taking the first ready layer in list order so the result is stable.
  while (order.length < layers.length) {
    const next = layers.find((layer) => !done.has(layer.name) && layer.dependsOn.every((dep) => done.has(dep) || !byName.has(dep)));
    if (!next) {
      const stuck = layers.filter((layer) => !done.has(layer.name)).map((layer) => layer.name);
      problems.push(`Layers ${stuck.map((n) => `"${n}"`).join(', ')} depend on each other in a cycle: remove one of the dependsOn entries.`);
      break;
    }
    done.add(next.name);
    order.push(next);
  }
  return { order, problems };
}
