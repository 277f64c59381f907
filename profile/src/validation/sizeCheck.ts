/**
 * Whether a profile can be stored at all. The API server keeps each object in one etcd value,
 * and etcd refuses requests above --max-request-bytes (1.5 MiB by default, which kubeadm, kind
 * and managed offerings keep); the apiserver's own limits (3 MiB bodies, 2 MiB gRPC messages to
 * etcd) lie above it. test/cluster/profileSize.test.ts measures the point where a real
 * kube-apiserver + etcd of the bed refuses a ClusterProfile, and checks the numbers below
 * against it.
 */
import { isRecord } from './rules.js';
import type { Finding } from './index.js';
import { COMPRESS_ABOVE_BYTES, compressJson, compressLayer } from '../storedForm.js';

/** The largest ClusterProfile (JSON as the plane writes it: metadata and spec) a default etcd stores, measured on the bed. */
export const PROFILE_STORE_LIMIT_BYTES = 1_572_864 - 8 * 1024;
/**
 * What kplane lets a profile's spec use: the rest is left for what the agent and the API server
 * add to the stored object (status with up to 50 drift records and the scaling history,
 * managedFields, finalizers, labels).
 */
export const PROFILE_SIZE_LIMIT_BYTES = PROFILE_STORE_LIMIT_BYTES - 128 * 1024;
/** Above this share of the limit a profile gets a warning, while there is still room to plan the split. */
const WARN_SHARE = 0.85;

/** UTF-8 length of a string, without Node's Buffer (this package knows no platform). */
export function utf8Length(text: string): number {
  // Profiles are mostly ASCII: a native scan decides that without walking the string in JS.
  if (!NON_ASCII.test(text)) return text.length;
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff) {
      // A surrogate pair: 4 bytes for 2 UTF-16 units.
      bytes += 2;
      i++;
    } else bytes += 2;
  }
  return bytes;
}

const NON_ASCII = /[^\x00-\x7f]/;

/**
 * JSON size of each manifest object, remembered: an edit of a big profile re-parses only the
 * edited object (language-server incrementalParse.ts) and the others come back as the same
 * objects, so their size is not serialized again.
 */
const manifestSizes = new WeakMap<object, number>();

/** UTF-8 size of a value as an item of a JSON array (undefined is written as null there). */
function itemSize(value: unknown): number {
  const memo = typeof value === 'object' && value !== null;
  const known = memo ? manifestSizes.get(value) : undefined;
  if (known !== undefined) return known;
  const size = jsonSize(value, 0);
  if (memo) manifestSizes.set(value, size);
  return size;
}

/** Any character JSON escapes or writes in more than one UTF-8 byte. */
const NOT_PLAIN = /[\x00-\x1f"\\\u0080-\uffff]/;

/** UTF-8 bytes of JSON.stringify(text), quotes included, without building it. */
function jsonStringSize(text: string): number {
  const length = text.length;
  let i = 0;
  // Most strings (every key) are short: a loop is cheaper than calling the regular expression.
  if (length < 32) {
    while (i < length) {
      const c = text.charCodeAt(i);
      if (c < 0x20 || c === 0x22 || c === 0x5c || c >= 0x80) break;
      i++;
    }
    if (i === length) return length + 2;
  } else if (!NOT_PLAIN.test(text)) return length + 2;
  let bytes = 2 + i;
  for (; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20) bytes += c === 8 || c === 9 || c === 10 || c === 12 || c === 13 ? 2 : 6; // \n or \u0001
    else if (c === 0x22 || c === 0x5c) bytes += 2;
    else if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4; // a pair: one 4-byte character
        i++;
      } else bytes += 6; // a lone surrogate: JSON.stringify writes \udxxx
    } else bytes += 3;
  }
  return bytes;
}

/** Length of JSON.stringify(n): small integers counted by digits, others written as JSON does. */
function numberSize(n: number): number {
  if (n >= 0 && n < 1e9 && Math.floor(n) === n) {
    let digits = 1;
    for (let bound = 10; n >= bound; bound *= 10) digits++;
    return digits; // -0 is written 0
  }
  return Number.isFinite(n) ? String(n).length : 4; // NaN, ±Infinity: null
}

/** Deeper than this, JSON.stringify itself measures (and throws on a cycle as before). */
const WALK_DEPTH = 500;

/** What JSON.stringify itself writes for a value the walk hands over (undefined as null). */
function stringifiedSize(value: unknown): number {
  return utf8Length(JSON.stringify(value) ?? 'null');
}

/** Arrays and objects JSON.stringify treats its own way: with toJSON, or not plain. */
function hasToJson(value: object): boolean {
  return typeof (value as { toJSON?: unknown }).toJSON === 'function';
}
function isSpecialArray(value: unknown[]): boolean {
  return Object.getPrototypeOf(value) !== Array.prototype || hasToJson(value);
}
function isSpecialObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return (proto !== Object.prototype && proto !== null) || hasToJson(value);
}

/**
 * UTF-8 bytes of JSON.stringify(value) (as an array item: undefined counts as null), by a walk
 * that builds no text: the stringify of every manifest was 8 % of opening a 50k-line profile
 * (--cpu-prof). Anything JSON.stringify treats specially (toJSON, non-plain objects, bigint)
 * is handed to JSON.stringify itself, so the number is the same for every value.
 */
function jsonSize(value: unknown, depth: number): number {
  switch (typeof value) {
    case 'string':
      return jsonStringSize(value);
    case 'number':
      return numberSize(value);
    case 'boolean':
      return value ? 4 : 5;
    case 'object':
      break;
    case 'bigint':
      return utf8Length(JSON.stringify(value)); // throws, as JSON.stringify does
    default:
      return 4; // undefined, functions, symbols: null as an item
  }
  if (value === null) return 4;
  if (depth > WALK_DEPTH) return stringifiedSize(value);
  if (Array.isArray(value)) {
    if (isSpecialArray(value)) return stringifiedSize(value);
    let bytes = value.length > 0 ? value.length + 1 : 2; // brackets and commas
    for (let i = 0; i < value.length; i++) bytes += jsonSize(value[i], depth + 1);
    return bytes;
  }
  if (isSpecialObject(value)) return stringifiedSize(value);
  let bytes = 2;
  let members = 0;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const member = record[key];
    const kind = typeof member;
    if (kind === 'undefined' || kind === 'function' || kind === 'symbol') continue; // left out
    bytes += jsonStringSize(key) + 1 + jsonSize(member, depth + 1);
    members++;
  }
  return members > 0 ? bytes + members - 1 : bytes;
}

/** Size in bytes of what the plane writes for this profile (no status, no managedFields). */
export function storedSize(doc: Record<string, unknown>): number {
  const metadata = isRecord(doc.metadata) ? doc.metadata : {};
  // Each manifest stands in as a 0 (one byte) in the skeleton, and adds its own size instead.
  let manifests = 0;
  let spec = doc.spec;
  if (isRecord(spec) && Array.isArray(spec.layers)) {
    spec = {
      ...spec,
      layers: spec.layers.map((layer: unknown) => {
        if (!isRecord(layer) || !Array.isArray(layer.manifests)) return layer;
        for (const m of layer.manifests as unknown[]) manifests += itemSize(m) - 1;
        return { ...layer, manifests: Array.from(layer.manifests as unknown[], () => 0) };
      }),
    };
  }
  const written = {
    apiVersion: doc.apiVersion,
    kind: doc.kind,
    metadata: { name: metadata.name, namespace: metadata.namespace, labels: metadata.labels, annotations: metadata.annotations },
    spec,
  };
  return utf8Length(JSON.stringify(written)) + manifests;
}

/**
 * The compressed text of a layer's manifests, remembered while the layer holds the same objects:
 * an edit of a big profile recompresses only the layer it changed (the language server's
 * incremental parse gives the others back as the same objects).
 */
const compressedLayers = new WeakMap<object, { items: readonly unknown[]; bytes: number; plainBytes: number }>();

function compressedLayerSize(manifests: readonly unknown[], knownOnly = false): { bytes: number; plainBytes: number } | undefined {
  const first = manifests[0];
  const memo = typeof first === 'object' && first !== null ? compressedLayers.get(first) : undefined;
  if (memo && memo.items.length === manifests.length && memo.items.every((m, i) => m === manifests[i])) return memo;
  // What cannot be remembered (no manifests, or not an object first) is measured at once.
  if (knownOnly && typeof first === 'object' && first !== null) return undefined;
  const { text, plainBytes } = compressLayer(manifests);
  const sizes = { bytes: text.length, plainBytes };
  if (typeof first === 'object' && first !== null) compressedLayers.set(first, { items: [...manifests], ...sizes });
  return sizes;
}

/**
 * The size of what kplane apply stores (../storedForm.ts compressLayers): the plain size up to
 * COMPRESS_ABOVE_BYTES, above it the size with every manifests layer compressed. Ordinary
 * profiles pay nothing for the compression.
 */
export function storedSizeAsWritten(doc: Record<string, unknown>): { bytes: number; plain: number; compressed: boolean } {
  return asWritten(doc, false)!;
}

/** storedSizeAsWritten; with `knownOnly`, undefined when a layer's compressed size is not remembered yet. */
function asWritten(doc: Record<string, unknown>, knownOnly: boolean): { bytes: number; plain: number; compressed: boolean } | undefined {
  const plain = storedSize(doc);
  const spec = doc.spec;
  if (plain <= COMPRESS_ABOVE_BYTES || !isRecord(spec) || !Array.isArray(spec.layers)) return { bytes: plain, plain, compressed: false };
  if (!spec.layers.some((l: unknown) => isRecord(l) && Array.isArray(l.manifests))) return { bytes: plain, plain, compressed: false };
  let texts = 0;
  let compressed = false;
  let unknown = false;
  const layers = spec.layers.map((layer: unknown) => {
    if (!isRecord(layer) || !Array.isArray(layer.manifests)) return layer;
    const sizes = compressedLayerSize(layer.manifests as unknown[], knownOnly);
    if (!sizes) {
      unknown = true;
      return layer;
    }
    const { bytes, plainBytes } = sizes;
    if (bytes >= plainBytes) return layer; // stays plain, as compressLayers leaves it
    texts += bytes;
    compressed = true;
    // The text is base64: one byte per character, and JSON writes it as it is.
    const { manifests: _plain, ...rest } = layer;
    return { ...rest, compressedManifests: '' };
  });
  if (unknown) return undefined;
  return { bytes: storedSize({ ...doc, spec: { ...spec, layers } }) + texts, plain, compressed };
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;

/**
 * About this many characters of JSON are compressed together for the editor's estimate
 * (compressedBound): a step of the background check (warmSizeStep) is one such chunk, a few ms
 * whatever the manifests are like. Chunks of a fixed number of manifests (64) were 31-47 ms steps
 * on big CRDs (test/bench/sizeStepsBench.ts).
 */
const CHUNK_CHARS = 256 * 1024;
const compressedChunks = new WeakMap<object, { items: readonly unknown[]; bytes: number }>();
/** The chunk remembered as starting at `at`, if it still holds the same objects. */
function rememberedChunk(manifests: readonly unknown[], at: number): { items: readonly unknown[]; bytes: number } | undefined {
  const first = manifests[at];
  const memo = typeof first === 'object' && first !== null ? compressedChunks.get(first) : undefined;
  return memo && at + memo.items.length <= manifests.length && memo.items.every((m, i) => m === manifests[at + i]) ? memo : undefined;
}

/**
 * The chunk of `manifests` starting at `at` not remembered yet: manifests up to CHUNK_CHARS of
 * JSON (at least one), ending where a remembered chunk starts, so an edit changes the chunk it is
 * in, not the boundaries of every chunk after it. With its JSON text, measured on the way.
 */
function newChunkAt(manifests: readonly unknown[], at: number): { items: readonly unknown[]; json: string } {
  const parts = [JSON.stringify(manifests[at]) ?? 'null'];
  let chars = parts[0].length;
  for (let end = at + 1; end < manifests.length && !rememberedChunk(manifests, end); end++) {
    const part = JSON.stringify(manifests[end]) ?? 'null';
    chars += part.length + 1;
    if (chars > CHUNK_CHARS) break;
    parts.push(part);
  }
  // The same text as JSON.stringify of the chunk: an array's items joined by commas.
  return { items: manifests.slice(at, at + parts.length), json: `[${parts.join(',')}]` };
}

/**
 * About what a profile stores compressed, from its manifests compressed in chunks of about
 * CHUNK_CHARS, each remembered while it holds the same objects: an edit recompresses one chunk (a
 * few ms) instead of its whole layer (80-130 ms for the biggest layer of a 2 MB profile at load
 * 13). Chunks share less than one stream does, so this is above the exact size (what makes it a
 * safe gate), by the chunks' gzip headers and the repetition across them.
 */
function compressedBound(doc: Record<string, unknown>, spec: Record<string, unknown>, knownOnly = false): number | undefined {
  let texts = 0;
  let unknown = false;
  const layers = (spec.layers as unknown[]).map((layer: unknown) => {
    if (!isRecord(layer) || !Array.isArray(layer.manifests)) return layer;
    const manifests = layer.manifests as unknown[];
    let bytes = 0;
    for (let at = 0; at < manifests.length && !unknown; ) {
      const known = rememberedChunk(manifests, at);
      if (known) {
        bytes += known.bytes;
        at += known.items.length;
        continue;
      }
      const first = manifests[at];
      // What cannot be remembered (not an object first) is measured at once.
      if (knownOnly && typeof first === 'object' && first !== null) {
        unknown = true;
        break;
      }
      const chunk = newChunkAt(manifests, at);
      bytes += chunkSize(chunk);
      at += chunk.items.length;
    }
    texts += bytes;
    const { manifests: _plain, ...rest } = layer;
    return { ...rest, compressedManifests: '' };
  });
  return unknown ? undefined : storedSize({ ...doc, spec: { ...spec, layers } }) + texts;
}

/** The compressed size of one chunk, remembered by its first object. */
function chunkSize(chunk: { items: readonly unknown[]; json: string }): number {
  const first = chunk.items[0];
  const size = compressJson(chunk.json).text.length;
  if (typeof first === 'object' && first !== null) compressedChunks.set(first, { items: chunk.items, bytes: size });
  return size;
}

const WARN_BYTES = PROFILE_SIZE_LIMIT_BYTES * WARN_SHARE;

/**
 * One piece of the compression checkSize needs to judge `doc` in `onPending` mode: the first chunk
 * (about CHUNK_CHARS of JSON) whose compressed size is not remembered yet (a few ms), or, once every chunk
 * is known and their estimate is within the warning share, one whole layer compressed exactly as
 * compressLayers writes it. Returns false when nothing is left to do. Pure: the caller decides
 * when to run each piece (the language server between other work, setImmediate).
 */
export function warmSizeStep(doc: unknown): boolean {
  if (!isRecord(doc) || !isRecord(doc.spec) || !Array.isArray(doc.spec.layers)) return false;
  const spec = doc.spec;
  const plainSize = storedSize(doc);
  if (plainSize <= WARN_BYTES || plainSize <= COMPRESS_ABOVE_BYTES) return false;
  for (const layer of spec.layers as unknown[]) {
    if (!isRecord(layer) || !Array.isArray(layer.manifests)) continue;
    const manifests = layer.manifests as unknown[];
    for (let at = 0; at < manifests.length; ) {
      const known = rememberedChunk(manifests, at);
      if (known) {
        at += known.items.length;
        continue;
      }
      const first = manifests[at];
      const chunk = newChunkAt(manifests, at);
      at += chunk.items.length;
      // A chunk that does not start with an object cannot be remembered: compressedBound measures it at once.
      if (typeof first !== 'object' || first === null) continue;
      chunkSize(chunk);
      return true;
    }
  }
  if (compressedBound(doc, spec, true)! <= WARN_BYTES) return false;
  for (const layer of spec.layers as unknown[]) {
    if (!isRecord(layer) || !Array.isArray(layer.manifests)) continue;
    if (compressedLayerSize(layer.manifests as unknown[], true)) continue;
    compressedLayerSize(layer.manifests as unknown[]);
    return true;
  }
  return false;
}

export interface SizeCheckOptions {
  /**
   * Judge with remembered compressed sizes only (the editor: compressing a 2 MB profile is 30-250
   * ms it must not spend before the first diagnostics). When one is missing there is no size
   * finding, and this is called: run warmSizeStep until it returns false, then check again.
   */
  onPending?: () => void;
}

export function checkSize(doc: unknown, options: SizeCheckOptions = {}): Finding[] {
  if (!isRecord(doc) || !isRecord(doc.spec)) return [];
  const spec = doc.spec;
  const knownOnly = options.onPending !== undefined;
  // Only a profile above the store limit's share is worth compressing to judge, and only one
  // whose estimate compressed is above it too is compressed exactly (as compressLayers writes it).
  const plainSize = storedSize(doc);
  if (plainSize <= WARN_BYTES) return [];
  if (plainSize > COMPRESS_ABOVE_BYTES && Array.isArray(spec.layers)) {
    const bound = compressedBound(doc, spec, knownOnly);
    if (bound === undefined) {
      options.onPending?.();
      return [];
    }
    if (bound <= WARN_BYTES) return [];
  }
  const written = asWritten(doc, knownOnly);
  if (!written) {
    options.onPending?.();
    return [];
  }
  const { bytes: size, plain, compressed } = written;
  if (size <= WARN_BYTES) return [];
  const over = size > PROFILE_SIZE_LIMIT_BYTES;
  const automatic = `kplane stores the layers of a profile above ${COMPRESS_ABOVE_BYTES / 1024} KiB as gzip+base64 automatically`;
  const asStored = compressed ? ` compressed (${automatic}; ${mib(plain)} plain)` : plain > COMPRESS_ABOVE_BYTES ? ` as stored (${automatic}, but these do not get smaller that way)` : ' as stored';
  const fix =
    'Split it into profiles that depend on each other (spec.dependsOn: e.g. one with the CRDs, one with the rest; `kplane split` writes them), or install the stack from its Helm chart with a helm layer.';
  return [
    {
      code: over ? 'PROFILE_TOO_LARGE' : 'PROFILE_NEAR_SIZE_LIMIT',
      severity: over ? 'error' : 'warning',
      message: over
        ? `This profile is ${mib(size)}${asStored}; the API server keeps at most ${mib(PROFILE_STORE_LIMIT_BYTES)} per object (etcd's default request limit), and kplane leaves ${mib(PROFILE_STORE_LIMIT_BYTES - PROFILE_SIZE_LIMIT_BYTES)} of that for status, so it would be refused ("request is too large"). ${fix}`
        : `This profile is ${mib(size)}${asStored}, ${Math.round((size / PROFILE_SIZE_LIMIT_BYTES) * 100)} % of the ${mib(PROFILE_SIZE_LIMIT_BYTES)} a profile may use (the API server refuses objects above ${mib(PROFILE_STORE_LIMIT_BYTES)}). ${fix}`,
      path: ['spec'],
      on: 'key',
      data: { bytes: size, plainBytes: plain, limit: PROFILE_SIZE_LIMIT_BYTES },
    },
  ];
}
