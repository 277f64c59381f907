/**
 * The rules of the layer graph, in one place for the editor, the CLI and the agent: every
 * dependsOn entry names another existing layer, the graph has no cycle, and layers apply in
 * topological order, ties broken by list order (so a profile without dependsOn applies top to
 * bottom). Validation reports the problems as findings; the agent orders by `order` and refuses
 * to apply while there is any problem.
 */

export interface LayerNode {
  /** Undefined when the document has no usable name (validation reads any shape). */
  name?: string;
  /** Non-string entries are kept as undefined so indices still match the document. */
  dependsOn: readonly (string | undefined)[];
}

export type LayerGraphCode = 'DEPENDS_ON_SELF' | 'UNKNOWN_LAYER' | 'DEPENDENCY_CYCLE';

export interface LayerGraphProblem {
  code: LayerGraphCode;
  /** Names the layer and what to change. */
  message: string;
  /** The dependsOn entry at fault: spec.layers[layer].dependsOn[entry]. */
  layer: number;
  entry: number;
  /** The dependency named (DEPENDS_ON_SELF, UNKNOWN_LAYER) or the cycle, `a → b → a` (DEPENDENCY_CYCLE). */
  data: { layer: string } | { cycle: string };
}

export interface LayerGraph {
  /** Indices into the input, dependencies first; complete only when there is no cycle. */
  order: number[];
  problems: LayerGraphProblem[];
}

export function layerGraph(layers: readonly LayerNode[]): LayerGraph {
  const problems: LayerGraphProblem[] = [];
  // Only the first layer of a duplicated name is a target (duplicates are reported elsewhere).
  const first = new Map<string, number>();
  layers.forEach((layer, i) => layer.name !== undefined && !first.has(layer.name) && first.set(layer.name, i));

  // Edges i → j: layer i depends on layer j. Self and unknown entries are problems, not edges.
  const edges: { target: number; entry: number }[][] = layers.map((layer, i) => {
    const out: { target: number; entry: number }[] = [];
    layer.dependsOn.forEach((dep, entry) => {
      if (dep === undefined) return;
      if (dep === layer.name) {
        problems.push({ code: 'DEPENDS_ON_SELF', message: `Layer "${layer.name}" depends on itself: remove "${dep}" from its dependsOn.`, layer: i, entry, data: { layer: dep } });
        return;
      }
      const target = first.get(dep);
      if (target === undefined) {
        const known = [...first.keys()].filter((n) => n !== layer.name);
        const fix = known.length ? `use one of ${known.join(', ')}, or remove it.` : 'remove it.';
        problems.push({ code: 'UNKNOWN_LAYER', message: `dependsOn names "${dep}", but no layer has that name: ${fix}`, layer: i, entry, data: { layer: dep } });
        return;
      }
      out.push({ target, entry });
    });
    return out;
  });

  problems.push(...findCycles(layers, edges));
  return { order: topologicalOrder(edges), problems };
}

/**
 * Depth-first search; a back edge closes a cycle, reported once (whichever entry closes it
 * first). Iterative, so a long chain of layers cannot overflow the stack.
 */
function findCycles(layers: readonly LayerNode[], edges: readonly { target: number; entry: number }[][]): LayerGraphProblem[] {
  const problems: LayerGraphProblem[] = [];
  const state = new Map<number, 'visiting' | 'done'>();
  const stack: number[] = [];
  const reported = new Set<string>();
  const name = (i: number) => layers[i].name ?? String(i);
  for (let start = 0; start < layers.length; start++) {
    if (state.has(start)) continue;
    const frames = [{ node: start, next: 0 }];
    state.set(start, 'visiting');
    stack.push(start);
    while (frames.length) {
      const frame = frames[frames.length - 1];
      const out = edges[frame.node];
      if (frame.next >= out.length) {
        state.set(frame.node, 'done');
        stack.pop();
        frames.pop();
        continue;
      }
      const edge = out[frame.next++];
      const s = state.get(edge.target);
      if (s === 'visiting') {
        const cycle = [...stack.slice(stack.indexOf(edge.target)), edge.target].map(name);
        const key = cycle.slice(0, -1).sort().join(',');
        if (!reported.has(key)) {
          reported.add(key);
          problems.push({
            code: 'DEPENDENCY_CYCLE',
            message: `Layers depend on each other in a cycle: ${cycle.join(' → ')}. Remove one of these dependsOn entries.`,
            layer: frame.node,
            entry: edge.entry,
            data: { cycle: cycle.join(' → ') },
          });
        }
      } else if (s === undefined) {
        state.set(edge.target, 'visiting');
        stack.push(edge.target);
        frames.push({ node: edge.target, next: 0 });
      }
    }
  }
  return problems;
}

/**
 * Kahn's algorithm, always taking the ready layer that comes first in the list, so the result
 * is stable and a profile without dependsOn applies top to bottom. Layers in or after a cycle
 * never become ready and are left out.
 */
function topologicalOrder(edges: readonly { target: number }[][]): number[] {
  const waitingOn = edges.map((out) => new Set(out.map((e) => e.target)).size);
  const dependents: number[][] = edges.map(() => []);
  edges.forEach((out, i) => new Set(out.map((e) => e.target)).forEach((target) => dependents[target].push(i)));
  // Ready layers by index, smallest last, so pop() takes the first in list order.
  const ready = waitingOn.flatMap((n, i) => (n === 0 ? [i] : [])).reverse();
  const order: number[] = [];
  while (ready.length) {
    const next = ready.pop()!;
    order.push(next);
    for (const d of dependents[next]) {
      if (--waitingOn[d] === 0) ready.splice(insertionPoint(ready, d), 0, d);
    }
  }
  return order;
}

/** Where `value` goes in `descending` to keep it sorted from largest to smallest. */
function insertionPoint(descending: readonly number[], value: number): number {
  let lo = 0;
  let hi = descending.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (descending[mid] > value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
