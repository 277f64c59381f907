/**
 * `kplane split`: a profile too large to store (PROFILE_TOO_LARGE) becomes a chain of profiles,
 * each under the size limit, each depending on the one before (spec.dependsOn), so the agent
 * applies them in order and a kind's CRD is served before any object of that kind is applied
 * (the "API server does not serve …" race of a stack split by hand into unrelated profiles).
 * CustomResourceDefinitions go first, in a layer of their own. Pure: text in, profiles out.
 */
import { PROFILE_SIZE_LIMIT_BYTES, scanReferences, storedSize, type ClusterProfile, type Layer, type Manifest } from '@kplane/profile';

export interface SplitOptions {
  /** Largest stored size of one part (default: what kplane lets one profile use). */
  maxBytes?: number;
}

export type SplitResult = { profiles: ClusterProfile[] } | { error: string };

/** The layer CRDs are moved to, first in the first part. */
export const CRD_LAYER = 'crds';

export function splitProfile(profile: ClusterProfile, options: SplitOptions = {}): SplitResult {
  const maxBytes = options.maxBytes ?? PROFILE_SIZE_LIMIT_BYTES;
  const name = profile.metadata.name;
  const layers = orderLayers(withCrdsFirst(profile.spec.layers ?? []));
  if ('error' in layers) return layers;

  // While packing, the number of parts is not known yet: names are sized as for many parts.
  const skeleton = (index: number, partLayers: Layer[], total = 99): ClusterProfile => {
    const { layers: _layers, scaling: _scaling, dependsOn, ...rest } = profile.spec;
    const after = index === 0 ? (dependsOn ?? []) : [partName(name, index - 1, total)];
    return {
      apiVersion: profile.apiVersion,
      kind: profile.kind,
      metadata: { ...profile.metadata, name: partName(name, index, total) },
      spec: { ...rest, ...(after.length ? { dependsOn: after } : {}), layers: partLayers },
    };
  };

  // Greedy packing in layer order: the running size is the empty part plus each manifest's JSON
  // and a separator, checked exactly (storedSize) once a part is closed.
  const parts: Layer[][] = [[]];
  let used = storedSize(skeleton(0, []) as unknown as Record<string, unknown>);
  const emptySize = (index: number) => storedSize(skeleton(index, []) as unknown as Record<string, unknown>);
  for (const layer of layers.ordered) {
    const { manifests, ...head } = layer;
    const headBytes = utf8Length(JSON.stringify({ ...head, manifests: [] })) + 1;
    const items = manifests ?? [];
    let current: Layer | undefined;
    const open = () => {
      current = { ...head, ...(layer.helm ? {} : { manifests: [] }) };
      parts[parts.length - 1].push(current);
      used += headBytes;
    };
    const nextPart = () => {
      parts.push([]);
      used = emptySize(parts.length - 1);
      current = undefined;
    };
    if (!items.length) {
      if (used + headBytes > maxBytes) nextPart();
      open();
      continue;
    }
    for (const manifest of items) {
      const bytes = utf8Length(JSON.stringify(manifest)) + 1;
      if (emptySize(0) + headBytes + bytes > maxBytes) {
        return { error: `${describe(manifest)} in layer "${layer.name}" is ${bytes} bytes, more than one profile may hold (${maxBytes} bytes with the profile around it): install it with a helm layer, or apply it outside kplane.` };
      }
      if (!current) {
        if (used + headBytes + bytes > maxBytes) nextPart();
        open();
      } else if (used + bytes > maxBytes) {
        nextPart();
        open();
      }
      current!.manifests!.push(manifest);
      used += bytes;
    }
  }

  const profiles = parts.map((partLayers, index) => {
    const present = new Set(partLayers.map((l) => l.name));
    // A layer's dependsOn names layers of its own profile; one in an earlier part is already
    // covered by the profile's dependsOn on that part.
    const fixed = partLayers.map((l) => {
      if (!l.dependsOn) return l;
      const kept = l.dependsOn.filter((d) => present.has(d) && d !== l.name);
      const { dependsOn: _d, ...rest } = l;
      return kept.length ? { ...rest, dependsOn: kept } : rest;
    });
    return skeleton(index, fixed, parts.length);
  });
  // Scaling policies go with the part that holds their target.
  for (const policy of profile.spec.scaling ?? []) {
    const holder = profiles.find((p) => p.spec.layers.some((l) => (l.manifests ?? []).some((m) => m.kind === policy.target.kind && m.metadata?.name === policy.target.name))) ?? profiles[profiles.length - 1];
    (holder.spec.scaling ??= []).push(policy);
  }
  // Each part declares the variables its own objects use (and their values), no others: the rest
  // would be UNUSED_VARIABLE warnings in every part.
  for (const p of profiles) {
    const used = new Set(scanReferences(JSON.stringify([p.spec.layers, p.spec.scaling ?? []])).map((r) => r.name));
    const variables = (p.spec.variables ?? []).filter((v) => used.has(v.name));
    const values = Object.fromEntries(Object.entries(p.spec.values ?? {}).filter(([k]) => used.has(k)));
    const { variables: _v, values: _w, ...spec } = p.spec;
    p.spec = { ...spec, ...(variables.length ? { variables } : {}), ...(Object.keys(values).length ? { values } : {}) } as ClusterProfile['spec'];
  }
  for (const p of profiles) {
    const size = storedSize(p as unknown as Record<string, unknown>);
    if (size > maxBytes) return { error: `part ${p.metadata.name} came out at ${size} bytes, over ${maxBytes}: its variables, values or scaling alone are too large to split this way.` };
  }
  return { profiles };
}

/**
 * The name of part `index` (0-based) of `total`: the last part keeps the profile's name, so a
 * profile that depended on it waits for the whole chain; the others are <name>-1, <name>-2, …
 */
export function partName(name: string, index: number, total: number): string {
  return index === total - 1 ? name : `${name}-${index + 1}`;
}

function withCrdsFirst(layers: readonly Layer[]): Layer[] {
  const crds: Manifest[] = [];
  const emptied = new Set<string>();
  const rest = layers.map((l) => {
    if (!l.manifests) return l;
    const kept = l.manifests.filter((m) => {
      const crd = m.kind === 'CustomResourceDefinition' && String(m.apiVersion).startsWith('apiextensions.k8s.io/');
      if (crd) crds.push(m);
      return !crd;
    });
    if (l.manifests.length && !kept.length) emptied.add(l.name);
    return { ...l, manifests: kept };
  });
  if (!crds.length) return rest;
  const taken = new Set(layers.map((l) => l.name));
  let crdLayer = CRD_LAYER;
  for (let i = 2; taken.has(crdLayer); i++) crdLayer = `${CRD_LAYER}-${i}`;
  // Every other layer waits for the CRDs (Established: the agent waits for them); a layer that
  // held only CRDs is gone, and what depended on it depends on the CRD layer instead.
  const others = rest
    .filter((l) => !emptied.has(l.name))
    .map((l) => ({ ...l, dependsOn: [...new Set([crdLayer, ...(l.dependsOn ?? []).map((d) => (emptied.has(d) ? crdLayer : d))])] }));
  return [{ name: crdLayer, wait: true, manifests: crds }, ...others];
}

/** Layers in an order where each comes after those it depends on (file order otherwise). */
function orderLayers(layers: Layer[]): { ordered: Layer[] } | { error: string } {
  const byName = new Map(layers.map((l) => [l.name, l]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const ordered: Layer[] = [];
  const visit = (l: Layer, path: string[]): string | undefined => {
    if (done.has(l.name)) return undefined;
    if (visiting.has(l.name)) return `layers depend on each other in a cycle (${[...path, l.name].join(' → ')}); fix the layers' dependsOn first (kplane validate shows it).`;
    visiting.add(l.name);
    for (const d of l.dependsOn ?? []) {
      const dep = byName.get(d);
      if (dep) {
        const err = visit(dep, [...path, l.name]);
        if (err) return err;
      }
    }
    visiting.delete(l.name);
    done.add(l.name);
    ordered.push(l);
    return undefined;
  };
  for (const l of layers) {
    const err = visit(l, []);
    if (err) return { error: err };
  }
  return { ordered };
}

/** UTF-8 bytes of JSON text (what storedSize counts), without Node's Buffer. */
function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c >= 0xd800 && c <= 0xdbff) i++; // a surrogate pair: 4 bytes for 2 units
    bytes += c < 0x800 ? 1 : 2;
  }
  return bytes;
}

function describe(m: Manifest): string {
  return `${m.kind ?? '(no kind)'} ${m.metadata?.namespace ? `${m.metadata.namespace}/` : ''}${m.metadata?.name ?? '(no name)'}`;
}
