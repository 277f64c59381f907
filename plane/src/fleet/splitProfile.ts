/**
 * `kplane split`: a profile too large to store (PROFILE_TOO_LARGE) becomes a chain of profiles,
 * each under the size limit as the plane stores it (compressed above COMPRESS_ABOVE_BYTES, as
 * PROFILE_TOO_LARGE judges it: packed by plain size, a 9.1 MB profile stored in 3.4 MB made 7
 * parts where 3 do), each depending on the one before (spec.dependsOn), so the agent applies them
 * in order and a kind's CRD is served before any object of that kind is applied
 * (the "API server does not serve …" race of a stack split by hand into unrelated profiles).
 * CustomResourceDefinitions go first, in a layer of their own. Pure: text in, profiles out.
 */
import {
  COMPRESS_ABOVE_BYTES,
  compressLayer,
  LAYER_DECODED_LIMIT_BYTES,
  PROFILE_DECODED_LIMIT_BYTES,
  PROFILE_SIZE_LIMIT_BYTES,
  scanReferences,
  storedSize,
  storedSizeAsWritten,
  type ClusterProfile,
  type Layer,
  type Manifest,
} from '@kplane/profile';

export interface SplitOptions {
  /** Largest stored size of one part (default: what kplane lets one profile use). */
  maxBytes?: number;
  /**
   * Pack by plain JSON size, as before profiles were stored compressed: for parts written as they
   * are (the benches' plain store, a CRD without compressedManifests). Default: by stored size.
   */
  plain?: boolean;
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

  // The layers as a sequence of units (one per manifest, one for a layer without manifests), cut
  // into parts in that order: each part takes the longest run of the next units that fits.
  const units: Unit[] = [];
  for (const layer of layers.ordered) {
    const items = layer.manifests ?? [];
    if (!items.length) units.push({ layer, bytes: 0 });
    for (const manifest of items) units.push({ layer, manifest, bytes: utf8Length(JSON.stringify(manifest)) + 1 });
  }
  // Whether parts may be stored compressed at all: not under a limit the plane would not compress
  // at, nor when the content does not get smaller that way (certificates, binaryData: then packing
  // by plain size is packing by stored size, as cheap as before). Plain packing is never wrong (a
  // part is stored at most as large as its JSON), only longer: a sample decides.
  const compressible = !options.plain && maxBytes > COMPRESS_ABOVE_BYTES && storedSize(profile as unknown as Record<string, unknown>) > maxBytes && shrinks(units);
  const fits = (index: number, from: number, to: number) => fitsStored(skeleton(index, layersOf(units, from, to)), maxBytes, compressible);
  const emptySize = (index: number) => storedSize(skeleton(index, []) as unknown as Record<string, unknown>);
  const estimate = new SizeEstimate(units, maxBytes, compressible);
  const parts: Layer[][] = [];
  for (let from = 0; from < units.length; ) {
    const index = parts.length;
    if (!fits(index, from, from + 1)) {
      const { manifest, layer, bytes } = units[from];
      if (!manifest) return { error: `the layer "${layer.name}" alone is more than one profile may hold (${maxBytes} bytes with the profile around it): shorten its settings.` };
      return { error: `${describe(manifest)} in layer "${layer.name}" is ${bytes} bytes, more than one profile may hold (${maxBytes} bytes with the profile around it): install it with a helm layer, or apply it outside kplane.` };
    }
    let to = Math.max(from + 1, estimate.longest(from, emptySize(index), 1));
    if (compressible) {
      // Measuring a compressed part compresses it (about 1 s a MB on this 2-core machine under
      // load): the estimate's run is taken when it fits, else estimates 3 % shorter, then halving.
      let scale = 1;
      while (to > from + 1 && !fits(index, from, to)) {
        scale *= 0.97;
        to = scale > 0.8 ? Math.max(from + 1, Math.min(to - 1, estimate.longest(from, emptySize(index), scale))) : from + Math.floor((to - from) / 2);
      }
    } else {
      // Plain sizes are cheap to measure: the longest run exactly, doubling away from the guess, then halving.
      let good = fits(index, from, to) ? to : from + 1;
      let bad = good === to ? units.length + 1 : to;
      for (let step = 1; good === to && good < units.length; step *= 2) {
        const next = Math.min(units.length, good + step);
        if (!fits(index, from, next)) {
          bad = next;
          break;
        }
        good = to = next;
      }
      while (bad - good > 1) {
        const mid = (good + bad) >> 1;
        if (fits(index, from, mid)) good = mid;
        else bad = mid;
      }
      to = good;
    }
    parts.push(layersOf(units, from, to));
    from = to;
  }
  if (!parts.length) parts.push([]);

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
    const doc = p as unknown as Record<string, unknown>;
    const size = compressible ? storedSizeAsWritten(doc).bytes : storedSize(doc);
    if (size > maxBytes) return { error: `part ${p.metadata.name} came out at ${size} bytes, over ${maxBytes}: its variables, values or scaling alone are too large to split this way.` };
  }
  return { profiles };
}

/** One manifest of a layer (or a layer without manifests: a helm layer), and its JSON bytes plus a separator. */
interface Unit {
  layer: Layer;
  manifest?: Manifest;
  bytes: number;
}

/**
 * Sizes of runs of units from prefix sums, to guess where a part ends before measuring it: plain
 * JSON bytes, and compressed bytes from the units compressed in groups of GROUP_BYTES of one
 * layer (each unit's share of its group's text, by its plain bytes). Groups compress a little
 * worse than the part's one stream, so the guess is a little short of the longest run that fits.
 */
class SizeEstimate {
  private readonly plain: number[] = [0];
  private readonly packed: number[] = [0];
  /** Index of the first unit of the layer of each unit. */
  private readonly layerStart: number[] = [];
  private readonly headBytes = new Map<Layer, number>();

  constructor(
    private readonly units: readonly Unit[],
    private readonly maxBytes: number,
    private readonly compressible: boolean,
  ) {
    const packed = units.map((u) => u.bytes);
    for (let i = 0; i < units.length; ) {
      const layer = units[i].layer;
      const { manifests: _m, ...head } = layer;
      this.headBytes.set(layer, utf8Length(JSON.stringify({ ...head, compressedManifests: '' })) + 1);
      let end = i;
      while (end < units.length && units[end].layer === layer) end++;
      for (let g = i; compressible && g < end; ) {
        let bytes = 0;
        let h = g;
        while (h < end && (h === g || bytes < GROUP_BYTES)) bytes += units[h++].bytes;
        const items = units.slice(g, h).flatMap((u) => (u.manifest ? [u.manifest] : []));
        const text = items.length ? compressLayer(items).text.length : 0;
        for (let k = g; k < h; k++) packed[k] = bytes ? (text * units[k].bytes) / bytes : 0;
        g = h;
      }
      for (let k = i; k < end; k++) this.layerStart.push(i);
      i = end;
    }
    for (let i = 0; i < units.length; i++) {
      this.plain.push(this.plain[i] + units[i].bytes);
      this.packed.push(this.packed[i] + packed[i]);
    }
  }

  /** The largest `to` whose run units[from, to) is estimated to fit in `scale` of a part whose skeleton is `empty` bytes. */
  longest(from: number, empty: number, scale: number): number {
    let good = from;
    let bad = this.units.length + 1;
    while (bad - good > 1) {
      const mid = (good + bad) >> 1;
      if (this.fits(from, mid, empty, scale)) good = mid;
      else bad = mid;
    }
    return good;
  }

  private fits(from: number, to: number, empty: number, scale: number): boolean {
    let plain = empty;
    let stored = empty;
    let decoded = 0;
    for (let i = from; i < to; ) {
      const start = this.layerStart[i];
      let end = i;
      while (end < to && this.layerStart[end] === start) end++;
      const head = this.headBytes.get(this.units[i].layer)!;
      const bytes = this.plain[end] - this.plain[i];
      plain += head + bytes;
      stored += head + Math.min(bytes, this.packed[end] - this.packed[i]);
      if (bytes > LAYER_DECODED_LIMIT_BYTES) return false;
      decoded += bytes;
      i = end;
    }
    if (plain <= this.maxBytes * scale) return true;
    return this.compressible && stored <= this.maxBytes * scale * (1 - COMPRESSED_PART_MARGIN) && decoded <= PROFILE_DECODED_LIMIT_BYTES;
  }
}

/**
 * Whether gzip+base64 makes the manifests smaller, from SAMPLE_GROUPS runs of GROUP_BYTES spread
 * over them: fflate is slow on random text (1.2-1.7 s for 1.4 MB at load 12), and a 4 MB profile
 * of certificates would pay that three times over to find out whole.
 */
function shrinks(units: readonly Unit[]): boolean {
  let plain = 0;
  let text = 0;
  const every = Math.max(1, Math.floor(units.length / SAMPLE_GROUPS));
  for (let g = 0; g < units.length; g += every) {
    let bytes = 0;
    const items: Manifest[] = [];
    for (let h = g; h < units.length && (h === g || bytes < GROUP_BYTES) && units[h].layer === units[g].layer; h++) {
      bytes += units[h].bytes;
      if (units[h].manifest) items.push(units[h].manifest!);
    }
    if (!items.length) continue;
    plain += bytes;
    text += compressLayer(items).text.length;
  }
  return text < plain * 0.95;
}

const SAMPLE_GROUPS = 4;

/** Plain bytes of manifests compressed together to estimate compressed sizes: twice deflate's 32 KiB window. */
const GROUP_BYTES = 64 * 1024;

/** The layers of units[from, to): consecutive units of one layer are one layer, with its settings. */
function layersOf(units: readonly Unit[], from: number, to: number): Layer[] {
  const out: Layer[] = [];
  let last: Layer | undefined;
  let current: Layer | undefined;
  for (let i = from; i < to; i++) {
    const { layer, manifest } = units[i];
    if (layer !== last) {
      const { manifests: _m, ...head } = layer;
      current = { ...head, ...(layer.helm ? {} : { manifests: [] }) };
      out.push(current);
      last = layer;
    }
    if (manifest) current!.manifests!.push(manifest);
  }
  return out;
}

/**
 * Room kept under the limit by a part stored compressed: its size is gzip's output, which the
 * kplane that applies the part computes again (another fflate version, a namespace or values
 * written later). A plain part's size is its JSON, exact, and may use the whole limit.
 */
export const COMPRESSED_PART_MARGIN = 0.03;

/**
 * Whether the plane can store `part` within maxBytes. Its plain JSON within the limit always fits
 * (compressLayers keeps a layer plain unless its text is smaller; the text's longer key is the
 * few bytes a layer of slack covers), without compressing it to find out.
 */
function fitsStored(part: ClusterProfile, maxBytes: number, compressible: boolean): boolean {
  const doc = part as unknown as Record<string, unknown>;
  if (storedSize(doc) + 16 * part.spec.layers.length <= maxBytes) return true;
  if (!compressible) return storedSize(doc) <= maxBytes;
  const written = storedSizeAsWritten(doc);
  if (!written.compressed) return written.bytes <= maxBytes;
  if (written.bytes > Math.floor(maxBytes * (1 - COMPRESSED_PART_MARGIN))) return false;
  // What the agent decodes: at most LAYER_DECODED_LIMIT_BYTES a layer and PROFILE_DECODED_LIMIT_BYTES
  // a profile (profile/src/storedForm.ts), or it refuses the part however small it is stored.
  let total = 0;
  for (const layer of part.spec.layers) {
    if (!layer.manifests) continue;
    const bytes = utf8Length(JSON.stringify(layer.manifests));
    if (bytes > LAYER_DECODED_LIMIT_BYTES) return false;
    total += bytes;
  }
  return total <= PROFILE_DECODED_LIMIT_BYTES;
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
