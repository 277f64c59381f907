/**
 * Dependencies between profiles (`spec.dependsOn: [names]`, same namespace and cluster): what
 * one profile can tell about itself (semanticCheck.ts: itself, repeated names), and what only a
 * set of profiles seen together can tell (this file: cycles, names missing from the set). The
 * language server checks the documents of one file, `kplane validate` every file it is given.
 */
import { DEFAULT_NAMESPACE } from '../types.js';
import type { Finding } from './index.js';
import { isRecord } from './rules.js';

/** One profile as the dependency graph sees it. */
export interface ProfileNode<Source = unknown> {
  namespace: string;
  name: string;
  dependsOn: string[];
  /** Where the profile was found (a file, a document index); handed back with its findings. */
  source: Source;
}

/** The node of a ClusterProfile document, or undefined when it has no name. */
export function profileNode<Source>(doc: unknown, source: Source): ProfileNode<Source> | undefined {
  if (!isRecord(doc) || !isRecord(doc.metadata) || typeof doc.metadata.name !== 'string') return undefined;
  const namespace = typeof doc.metadata.namespace === 'string' && doc.metadata.namespace ? doc.metadata.namespace : DEFAULT_NAMESPACE;
  const spec = isRecord(doc.spec) ? doc.spec : {};
  const dependsOn = Array.isArray(spec.dependsOn) ? spec.dependsOn.map((d) => (typeof d === 'string' ? d : '')) : [];
  return { namespace, name: doc.metadata.name, dependsOn, source };
}

export interface GraphOptions {
  /**
   * Report dependencies on profiles missing from the set (severity information): true when the
   * set is everything the user has, e.g. all files given to `kplane validate`.
   */
  reportMissing?: boolean;
}

/**
 * Cycles and missing dependencies of a set of profiles. A cycle is reported on every profile in
 * it, on the dependsOn entry that leads on around the cycle, so whichever file is open shows it.
 */
export function checkProfileGraph<Source>(nodes: readonly ProfileNode<Source>[], options: GraphOptions = {}): { node: ProfileNode<Source>; finding: Finding }[] {
  const out: { node: ProfileNode<Source>; finding: Finding }[] = [];
  const key = (namespace: string, name: string) => `${namespace}/${name}`;
  const byKey = new Map<string, ProfileNode<Source>>();
  for (const node of nodes) if (!byKey.has(key(node.namespace, node.name))) byKey.set(key(node.namespace, node.name), node);

  // Edges to profiles in the set; a name repeated in the set takes its first profile.
  const edges = (node: ProfileNode<Source>) =>
    node.dependsOn.flatMap((dep, index) => {
      const target = dep && dep !== node.name ? byKey.get(key(node.namespace, dep)) : undefined;
      return target ? [{ target, index }] : [];
    });

  if (options.reportMissing) {
    for (const node of nodes) {
      node.dependsOn.forEach((dep, index) => {
        if (!dep || dep === node.name || byKey.has(key(node.namespace, dep))) return;
        out.push({
          node,
          finding: {
            code: 'PROFILE_DEPENDENCY_NOT_FOUND',
            severity: 'information',
            message: `Profile "${node.name}" depends on "${dep}", which is none of the profiles checked here: it must exist in namespace ${node.namespace} of each cluster, or "${node.name}" waits for it there.`,
            path: ['spec', 'dependsOn', index],
            data: { profile: dep },
          },
        });
      });
    }
  }

  // Tarjan's strongly connected components, iteratively: every component of more than one
  // profile is a cycle (self-dependencies are semanticCheck.ts's).
  let counter = 0;
  const index = new Map<ProfileNode<Source>, number>();
  const low = new Map<ProfileNode<Source>, number>();
  const onStack = new Set<ProfileNode<Source>>();
  const stack: ProfileNode<Source>[] = [];
  const components: ProfileNode<Source>[][] = [];
  for (const root of byKey.values()) {
    if (index.has(root)) continue;
    const frames: { node: ProfileNode<Source>; out: { target: ProfileNode<Source> }[]; next: number }[] = [];
    const enter = (node: ProfileNode<Source>) => {
      index.set(node, counter);
      low.set(node, counter++);
      stack.push(node);
      onStack.add(node);
      frames.push({ node, out: edges(node), next: 0 });
    };
    enter(root);
    while (frames.length) {
      const frame = frames[frames.length - 1];
      if (frame.next < frame.out.length) {
        const target = frame.out[frame.next++].target;
        if (!index.has(target)) enter(target);
        else if (onStack.has(target)) low.set(frame.node, Math.min(low.get(frame.node)!, index.get(target)!));
        continue;
      }
      frames.pop();
      if (frames.length) {
        const parent = frames[frames.length - 1].node;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.node)!));
      }
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: ProfileNode<Source>[] = [];
        let member: ProfileNode<Source>;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        if (component.length > 1) components.push(component.reverse());
      }
    }
  }

  for (const component of components) {
    const members = new Set(component);
    // One search per component finds a cycle; its members get it rotated, others search their own.
    const onCycle = new Map<ProfileNode<Source>, { ring: ProfileNode<Source>[]; at: number }>();
    for (const node of component) {
      let place = onCycle.get(node);
      if (!place) {
        const ring = cycleFrom(node, members, edges).slice(0, -1);
        ring.forEach((member, at) => onCycle.has(member) || onCycle.set(member, { ring, at }));
        place = onCycle.get(node) ?? { ring: [node], at: 0 };
      }
      const { ring, at } = place;
      const nth = (k: number) => ring[(at + k) % ring.length].name;
      const edge = edges(node).find((e) => e.target === ring[(at + 1) % ring.length]) ?? edges(node).find((e) => members.has(e.target))!;
      const shown =
        ring.length > 11
          ? [...[0, 1, 2, 3, 4, 5].map(nth), `… (${ring.length - 10} more)`, ...[4, 3, 2, 1].map((k) => nth(ring.length - k)), nth(0)]
          : [...ring.map((_, k) => nth(k)), nth(0)];
      out.push({
        node,
        finding: {
          code: 'PROFILE_DEPENDENCY_CYCLE',
          severity: 'error',
          message: `Profiles depend on each other in a cycle: ${shown.join(' → ')}. None of them would ever be applied: remove one of these dependsOn entries.`,
          path: ['spec', 'dependsOn', edge.index],
          data: { cycle: shown.join(' → ') },
        },
      });
    }
  }
  return out;
}

/** One cycle through `start` inside its component, start first and last (breadth-first: the shortest). */
function cycleFrom<Source>(
  start: ProfileNode<Source>,
  members: Set<ProfileNode<Source>>,
  edges: (node: ProfileNode<Source>) => { target: ProfileNode<Source> }[],
): ProfileNode<Source>[] {
  const previous = new Map<ProfileNode<Source>, ProfileNode<Source>>();
  const queue: ProfileNode<Source>[] = [start];
  for (let i = 0; i < queue.length; i++) {
    for (const { target } of edges(queue[i])) {
      if (!members.has(target)) continue;
      if (target === start) {
        const between: ProfileNode<Source>[] = [];
        for (let n = queue[i]; n !== start; n = previous.get(n)!) between.unshift(n);
        return [start, ...between, start];
      }
      if (previous.has(target)) continue;
      previous.set(target, queue[i]);
      queue.push(target);
    }
  }
  return [start, start];
}
