/**
 * The stored form of a big profile: each manifests layer as `compressedManifests`, the base64 of
 * the gzip of the JSON array of its manifests (as Rancher Fleet stores a big Bundle's content with
 * encoding `base64+gz`). The API server decodes, patches, tracks the fields of and re-encodes the
 * whole structured object on every write, status patches included: for a 0.9 MB profile that was
 * 150-730 ms per status PATCH, against 12-18 ms for the same part stored as one string of 25 KB
 * (test/bench/crdSchemaBench.ts, VARIANTS=asis,encoded).
 *
 * The plane writes this form (compressLayers) only above COMPRESS_ABOVE_BYTES, so ordinary
 * profiles stay plain and readable with kubectl; every reader (the agent before it validates, the
 * plane's diff and views) calls expandLayers first and sees plain manifests. Decoding treats the
 * text as hostile: strict base64, inflate streamed with a cap on the decoded bytes, and an array
 * of objects, or an error naming the layer.
 *
 * Pure JS (fflate, no platform): the agent, the CLI and the extension host use the same code.
 */
import { Gunzip, gzipSync } from 'fflate';
import type { ClusterProfileSpec, Layer, Manifest } from './types.js';
import { storedSize } from './validation/sizeCheck.js';

/**
 * Above this many bytes of stored JSON (storedSize: metadata and spec as the plane writes them) the
 * plane writes every manifests layer compressed. Below it a profile stays plain: readable with
 * kubectl, and its status patches are cheap anyway (the cost grows with the size of the object).
 */
export const COMPRESS_ABOVE_BYTES = 256 * 1024;
/**
 * The most one layer may decode to: a gzip bomb stops here (the API server stores 1.5 MiB; the
 * real-shaped stack of bench:agent, the size of kube-prometheus, is 3.2 MB plain).
 */
export const LAYER_DECODED_LIMIT_BYTES = 8 * 1024 * 1024;
/**
 * The most all the layers of one profile may decode to together. The agent's image caps V8's old
 * generation at 128 MB (agent/deploy/Containerfile); 32 MiB of manifests' JSON parsed to 91 MB of
 * heap, 16 MiB leaves room for the agent's other state.
 */
export const PROFILE_DECODED_LIMIT_BYTES = 16 * 1024 * 1024;

const REAPPLY = 'Re-apply the profile with kplane apply, which writes this field itself.';

/** base64 of the gzip of the JSON array of `manifests`; the same input gives the same text (no mtime). */
export function compressManifests(manifests: readonly unknown[]): string {
  return compressLayer(manifests).text;
}

/**
 * A layer's compressed text, and the UTF-8 size of its manifests' JSON: a layer whose text is not
 * smaller (random or already-compressed data: base64 adds a third) stays plain.
 */
export function compressLayer(manifests: readonly unknown[]): { text: string; plainBytes: number } {
  return compressJson(JSON.stringify(manifests));
}

/** compressLayer of manifests whose JSON text (an array) the caller already has. */
export function compressJson(text: string): { text: string; plainBytes: number } {
  const json = new TextEncoder().encode(text);
  return { text: encodeBase64(gzipSync(json, { level: 6, mtime: 0 })), plainBytes: json.length };
}

export type Decoded = { ok: true; manifests: Manifest[]; bytes: number } | { ok: false; error: string };

/**
 * The manifests of layer `layer` from its compressedManifests. `limit` is the most it may decode
 * to (LAYER_DECODED_LIMIT_BYTES, or less when the profile's budget is nearly spent).
 */
export function decodeManifests(text: unknown, layer: string, limit = LAYER_DECODED_LIMIT_BYTES): Decoded {
  const what = `Layer "${layer}": compressedManifests`;
  if (typeof text !== 'string') return { ok: false, error: `${what} is not a string. ${REAPPLY}` };
  const bytes = decodeBase64(text);
  if (typeof bytes === 'string') return { ok: false, error: `${what} is not base64 (${bytes}). ${REAPPLY}` };
  if (bytes.length < 18 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return { ok: false, error: `${what} is not gzip data (it does not start with the gzip header). ${REAPPLY}` };
  const inflated = gunzipCapped(bytes, limit);
  if (!inflated.ok) {
    return {
      ok: false,
      error: inflated.over
        ? `${what} decodes to more than ${mib(limit)}, the most kplane decodes for one layer (${mib(LAYER_DECODED_LIMIT_BYTES)}, ${mib(PROFILE_DECODED_LIMIT_BYTES)} per profile): a profile the API server can store is never that large. ${REAPPLY}`
        : `${what} is not valid gzip data (${inflated.error}). ${REAPPLY}`,
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(inflated.data));
  } catch (err) {
    return { ok: false, error: `${what} does not hold JSON text (${err instanceof Error ? err.message : String(err)}). ${REAPPLY}` };
  }
  if (!Array.isArray(value)) return { ok: false, error: `${what} holds ${describe(value)}, not the array of manifests it must hold. ${REAPPLY}` };
  const bad = value.findIndex((m) => typeof m !== 'object' || m === null || Array.isArray(m));
  if (bad >= 0) return { ok: false, error: `${what}: item ${bad} is ${describe(value[bad])}, not a Kubernetes object. ${REAPPLY}` };
  return { ok: true, manifests: value as Manifest[], bytes: inflated.data.length };
}

/**
 * A profile (or anything with a spec) as the plane writes it: above the threshold every manifests
 * layer compressed (unless that makes it larger), else as it is.
 */
export function compressLayers<T extends { spec: ClusterProfileSpec }>(profile: T): T {
  const layers = profile.spec?.layers;
  if (!Array.isArray(layers) || !layers.some((l) => Array.isArray(l?.manifests))) return profile;
  if (storedSize(profile as unknown as Record<string, unknown>) <= COMPRESS_ABOVE_BYTES) return profile;
  return {
    ...profile,
    spec: {
      ...profile.spec,
      layers: layers.map((layer): Layer => {
        if (!Array.isArray(layer?.manifests)) return layer;
        const { manifests, ...rest } = layer;
        const { text, plainBytes } = compressLayer(manifests);
        return text.length < plainBytes ? { ...rest, compressedManifests: text } : layer;
      }),
    },
  };
}

export type Expanded<T> = { ok: true; profile: T; compressed: boolean } | { ok: false; error: string; layer: string };

/**
 * A stored profile with every compressedManifests layer turned back into manifests (the same
 * object when none is compressed). A layer that has both keeps its manifests, and the finding
 * LAYER_COMPRESSED_AND_MANIFESTS says so.
 */
export function expandLayers<T extends { spec: ClusterProfileSpec }>(profile: T): Expanded<T> {
  const layers = profile.spec?.layers;
  if (!Array.isArray(layers) || !layers.some((l) => isCompressed(l))) return { ok: true, profile, compressed: false };
  let budget = PROFILE_DECODED_LIMIT_BYTES;
  const out: Layer[] = [];
  for (const [i, layer] of layers.entries()) {
    if (!isCompressed(layer) || layer.manifests !== undefined) {
      out.push(layer);
      continue;
    }
    const name = typeof layer.name === 'string' ? layer.name : String(i);
    const decoded = decodeManifests(layer.compressedManifests, name, Math.min(LAYER_DECODED_LIMIT_BYTES, budget));
    if (!decoded.ok) {
      const spent = budget < LAYER_DECODED_LIMIT_BYTES ? ` (the profile's layers together decode to more than ${mib(PROFILE_DECODED_LIMIT_BYTES)})` : '';
      return { ok: false, error: decoded.error + spent, layer: name };
    }
    budget -= decoded.bytes;
    const { compressedManifests: _stored, ...rest } = layer;
    out.push({ ...rest, manifests: decoded.manifests });
  }
  return { ok: true, profile: { ...profile, spec: { ...profile.spec, layers: out } }, compressed: true };
}

/** expandLayers for views: the profile as stored when a layer cannot be decoded (the agent reports why). */
export function expandedOrStored<T extends { spec: ClusterProfileSpec }>(profile: T): T {
  const expanded = expandLayers(profile);
  return expanded.ok ? expanded.profile : profile;
}

function isCompressed(layer: unknown): layer is Layer & { compressedManifests: unknown } {
  return typeof layer === 'object' && layer !== null && (layer as Layer).compressedManifests !== undefined;
}

/** Inflates in small steps, so a gzip bomb stops near `limit` instead of filling memory first. */
function gunzipCapped(bytes: Uint8Array, limit: number): { ok: true; data: Uint8Array } | { ok: false; over: boolean; error?: string } {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let over = false;
  let ended = false;
  const gunzip = new Gunzip((chunk, final) => {
    total += chunk.length;
    if (total > limit) over = true;
    else chunks.push(chunk);
    if (final) ended = true;
  });
  // Deflate expands at most ~1032:1, so one step of 1 KiB writes at most ~1 MiB past the cap.
  const STEP = 1024;
  try {
    for (let at = 0; at < bytes.length && !over; at += STEP) gunzip.push(bytes.subarray(at, at + STEP), at + STEP >= bytes.length);
  } catch (err) {
    return { ok: false, over: false, error: err instanceof Error ? err.message : String(err) };
  }
  if (over) return { ok: false, over: true };
  if (!ended) return { ok: false, over: false, error: 'the data ends early' };
  const data = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    data.set(c, at);
    at += c.length;
  }
  return { ok: true, data };
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALUES = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUES[ALPHABET.charCodeAt(i)] = i;

/** Standard base64 with padding, without Buffer or btoa (this package knows no platform). */
export function encodeBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  let line = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    line += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + ALPHABET[(n >> 6) & 63] + ALPHABET[n & 63];
    if (line.length >= 8192) {
      parts.push(line);
      line = '';
    }
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i] << 16;
    line += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + '==';
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    line += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + ALPHABET[(n >> 6) & 63] + '=';
  }
  parts.push(line);
  return parts.join('');
}

/** Strict standard base64 (padding required, no whitespace): the bytes, or what is wrong. */
export function decodeBase64(text: string): Uint8Array | string {
  if (text.length % 4 !== 0) return `its length ${text.length} is not a multiple of 4`;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - padding);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const last = i + 4 === text.length;
    let n = 0;
    for (let j = 0; j < 4; j++) {
      const c = text.charCodeAt(i + j);
      const v = c < 128 ? VALUES[c] : -1;
      if (v < 0) {
        if (last && c === 0x3d && j >= 4 - padding) {
          n <<= 6;
          continue;
        }
        return `character ${JSON.stringify(text[i + j])} at offset ${i + j}`;
      }
      n = (n << 6) | v;
    }
    out[o++] = (n >> 16) & 255;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

const mib = (bytes: number) => `${Math.round((bytes / 1024 / 1024) * 100) / 100} MiB`;
