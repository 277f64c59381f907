/**
 * Validate: every rendered object against this cluster's own API (its OpenAPI v3 documents)
 * before anything is applied, with the checker the editor and `kplane validate` use
 * (@kplane/profile checkManifest). An object the API server would refuse fails its layer with a
 * message naming the object, the field, what is wrong and the fix ("Deployment web/api:
 * spec.revisionHistroyLimit: … did you mean "revisionHistoryLimit"?"), instead of the API
 * server's raw error halfway through the layer; the layers after it wait, as for any failed layer.
 *
 * Only what the cluster says is checked, and only field rules: an object whose group/version the
 * cluster does not list yet (its CRD comes in an earlier layer) is left to the apply step. Kinds
 * of the profile's own CRDs are checked against the CRD in the profile, which is what the cluster
 * will serve once the earlier layer is applied. When the schemas cannot be read, nothing is
 * refused: the API server still validates on apply.
 *
 * Cost: the OpenAPI index (/openapi/v3) is read at most every INDEX_MAX_AGE_MS; a group/version's
 * document is read once per content hash (its URL carries it), trimmed by
 * @kplane/profile liveSchemas.ts, and at most MAX_DOCUMENTS are kept. A profile's verdict is kept
 * per rendered hash and schema URLs, so a resync of an unchanged profile checks nothing again.
 * Nothing is read before the first profile with objects.
 */
import {
  checkManifest,
  customKindsOf,
  describeObject,
  formatPath,
  groupOf,
  groupVersionSchemasOf,
  KubeTypes,
  kubernetesReleaseOf,
  openApiPathsOf,
  type Finding,
  type FindingCode,
  type GroupVersionSchemas,
  type KubeSchemaData,
  type KubeScope,
  type Manifest,
} from '@kplane/profile';
import { refOf } from '../../core/inventory.js';
import { redact } from '../../core/redact.js';
import type { DesiredLayer } from './render.js';
import { abortable, errorText, type ReconcilerDeps, type RunContext } from './context.js';

/** The field rules the API server enforces on create and apply (strict field validation included). */
const REFUSED: ReadonlySet<FindingCode> = new Set<FindingCode>([
  'MANIFEST_UNKNOWN_FIELD',
  'MANIFEST_WRONG_TYPE',
  'MANIFEST_MISSING_FIELD',
  'MANIFEST_INVALID_ENUM_VALUE',
  'MANIFEST_INVALID_FORMAT',
  'MANIFEST_OUT_OF_RANGE',
  'MANIFEST_DUPLICATE_KEY',
  'MANIFEST_INVALID_LABEL',
]);

export const INDEX_MAX_AGE_MS = 30_000;
const INDEX_LIMIT = { timeoutMs: 10_000, maxBytes: 4 * 1024 * 1024 };
const DOCUMENT_LIMIT = { timeoutMs: 20_000, maxBytes: 24 * 1024 * 1024 };
/** Trimmed group/version documents kept in memory (apps/v1 is about 0.2 MB trimmed). */
const MAX_DOCUMENTS = 24;
/** Problems shown per layer; the rest are counted. */
const SHOWN = 3;

/** desired layer → why it must not be applied (masked); layers that pass are absent. */
export type LayerVerdicts = Map<DesiredLayer, string>;

export class ManifestValidator {
  private index: { at: number; paths: Record<string, string>; kubernetes: string } | undefined;
  /** serverRelativeURL (with ?hash=) → the trimmed document; insertion order is use order. */
  private readonly documents = new Map<string, GroupVersionSchemas>();
  /** profile key → the verdict of its last rendered objects against the schema URLs used. */
  private readonly verdicts = new Map<string, { key: string; messages: (string | undefined)[] }>();

  constructor(private readonly deps: Pick<ReconcilerDeps, 'api' | 'discovery'>) {}

  /** The layers whose objects this cluster's API would refuse, each with its message. */
  async check(ctx: RunContext, layers: readonly DesiredLayer[], hash: string): Promise<LayerVerdicts> {
    const objects = layers.flatMap((l) => l.objects);
    if (!objects.length) return new Map();
    let paths: Record<string, string>;
    let kubernetes: string;
    try {
      ({ paths, kubernetes } = await this.readIndex(ctx));
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      ctx.log.warn('cannot read the cluster\'s OpenAPI index; objects are applied without checking them first', { error: errorText(err) });
      return new Map();
    }
    const used = [...new Set(objects.map((o) => o.apiVersion))].filter((gv) => Object.hasOwn(paths, gv)).sort();
    const key = `${hash}|${used.map((gv) => paths[gv]).join(',')}`;
    // Each run renders new layer objects: a kept verdict is by position (the hash covers the order).
    const byLayer = (messages: (string | undefined)[]): LayerVerdicts => new Map(layers.flatMap((l, i) => (messages[i] ? [[l, messages[i]] as const] : [])));
    const known = this.verdicts.get(ctx.key);
    if (known?.key === key) return byLayer(known.messages);

    // Side by side: one after the other, the four built-in documents of the bench's last stack part took 150 ms of its first run at load 8.
    const documents = new Map<string, GroupVersionSchemas>();
    const read = await Promise.all(used.map((gv) => this.document(ctx, gv, paths[gv])));
    used.forEach((gv, i) => {
      if (read[i]) documents.set(gv, read[i]);
    });
    const kube = new KubeTypes(this.schemaData(kubernetes, documents, objects)).withCustomKinds(customKindsOf(objects));
    const messages = layers.map((desired) => this.layerMessage(ctx, desired.objects, kube));
    // A document that could not be read is tried again next run: the verdict is not kept.
    if (documents.size === used.length) this.verdicts.set(ctx.key, { key, messages });
    return byLayer(messages);
  }

  /** Drops what is kept for a deleted profile. */
  forget(profileKey: string): void {
    this.verdicts.delete(profileKey);
  }

  private layerMessage(ctx: RunContext, objects: readonly Manifest[], kube: KubeTypes): string | undefined {
    const problems: string[] = [];
    let count = 0;
    for (const object of objects) {
      // Rendered text: a `${…}` left (substitution disabled) is a string like any other.
      const findings = checkManifest(object, [], { kube, variableType: () => 'string' }).filter((f) => f.severity === 'error' && REFUSED.has(f.code));
      count += findings.length;
      for (const f of findings.slice(0, SHOWN - problems.length)) problems.push(`${describeObject(refOf(object))}: ${fieldOf(f)}: ${f.message}`);
    }
    if (!count) return undefined;
    const more = count > problems.length ? ` (and ${count - problems.length} more)` : '';
    const listed = `${problems.join('; ')}${more}`;
    return redact(`${listed}${/[.?!]$/.test(listed) ? '' : '.'} The API server of this cluster (${kube.label}) would refuse ${count === 1 ? 'it' : 'them'}; nothing of this layer was applied: fix the profile.`, ctx.secrets);
  }

  /**
   * The kinds of the used group/versions that the documents define, scoped as discovery says.
   * Kinds the profile's CRDs define are left out, so the CRD in the profile speaks for them.
   */
  private schemaData(kubernetes: string, documents: ReadonlyMap<string, GroupVersionSchemas>, objects: readonly Manifest[]): KubeSchemaData {
    const custom = new Set(customKindsOf(objects).map((c) => `${c.group}/${c.kind}`));
    const groupVersions: KubeSchemaData['groupVersions'] = {};
    const schemas: KubeSchemaData['schemas'] = {};
    for (const [gv, doc] of documents) {
      const kinds: Record<string, [KubeScope, string]> = {};
      for (const [kind, definition] of Object.entries(doc.kinds)) {
        if (custom.has(`${groupOf(gv)}/${kind}`)) continue;
        kinds[kind] = [this.deps.discovery.isClusterScoped(gv, kind) ? 'Cluster' : 'Namespaced', definition];
      }
      groupVersions[gv] = kinds;
      for (const [name, schema] of Object.entries(doc.schemas)) if (!Object.hasOwn(schemas, name)) schemas[name] = schema;
    }
    return { kubernetes, groupVersions, schemas };
  }

  /** group/version → its document's URL, from /openapi/v3 (read at most every INDEX_MAX_AGE_MS), and the release. */
  private async readIndex(ctx: RunContext): Promise<{ paths: Record<string, string>; kubernetes: string }> {
    if (this.index && Date.now() - this.index.at < INDEX_MAX_AGE_MS) return this.index;
    let kubernetes = this.index?.kubernetes;
    if (!kubernetes) {
      const version: unknown = JSON.parse((await abortable(this.deps.api.getDocument('/version', { ...INDEX_LIMIT, signal: ctx.signal }), ctx.signal)).text);
      kubernetes = kubernetesReleaseOf(version);
    }
    const answer = await abortable(this.deps.api.getDocument('/openapi/v3', { ...INDEX_LIMIT, signal: ctx.signal }), ctx.signal);
    const paths = openApiPathsOf(JSON.parse(answer.text));
    this.index = { at: Date.now(), paths, kubernetes };
    return this.index;
  }

  private async document(ctx: RunContext, gv: string, url: string): Promise<GroupVersionSchemas | undefined> {
    const kept = this.documents.get(url);
    if (kept) {
      this.documents.delete(url);
      this.documents.set(url, kept);
      return kept;
    }
    try {
      const answer = await abortable(this.deps.api.getDocument(url, { ...DOCUMENT_LIMIT, signal: ctx.signal }), ctx.signal);
      const doc = groupVersionSchemasOf(gv, JSON.parse(answer.text));
      for (const problem of doc.problems) ctx.log.warn('part of the cluster\'s schemas is not checked', { groupVersion: gv, problem });
      this.documents.set(url, doc);
      // Another hash of the same group/version (a CRD changed) replaces the old one.
      for (const old of this.documents.keys()) if (old !== url && old.split('?')[0] === url.split('?')[0]) this.documents.delete(old);
      while (this.documents.size > MAX_DOCUMENTS) this.documents.delete(this.documents.keys().next().value!);
      return doc;
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      ctx.log.warn('cannot read the cluster\'s schemas of a group/version; its objects are applied without checking them first', { groupVersion: gv, error: errorText(err) });
      return undefined;
    }
  }
}

/** Where in the object: `spec.template.spec.containers[0].name`. */
function fieldOf(finding: Finding): string {
  return formatPath(finding.path);
}
