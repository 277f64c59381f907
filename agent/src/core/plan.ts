/**
 * The order in which layers are applied: every layer after the layers it depends on, and
 * otherwise in list order. The rules (and their messages) are profile/src/layerGraph.ts, the
 * same the editor and the CLI report.
 */
import { formatPath, layerGraph, type RenderedLayer } from '@kplane/profile';

export interface LayerPlan {
  order: RenderedLayer[];
  /** Each problem as `spec.layers[i].dependsOn[j]: message`; a plan with problems must not be applied. */
  problems: string[];
}

export function planLayers(layers: readonly RenderedLayer[]): LayerPlan {
  const graph = layerGraph(layers);
  return {
    order: graph.order.map((i) => layers[i]),
    problems: graph.problems.map((p) => `${formatPath(['spec', 'layers', p.layer, 'dependsOn', p.entry])}: ${p.message}`),
  };
}
