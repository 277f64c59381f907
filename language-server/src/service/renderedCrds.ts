/**
 * The CustomResourceDefinitions a profile document's Helm layers render, handed to the check of
 * the profile's own manifests (./validation.ts), so a custom resource in a manifest layer is
 * checked against the CRD a chart installs. Kept per open document so that they are the same array
 * while they do not change: the manifests are checked again (a new set of types) only when the
 * rendered CRDs change, never on an edit that leaves them as they were.
 *  - A render that gives the same CRDs again (new objects, same content) keeps the old array.
 *  - A layer whose render is pending (its values just changed) keeps its last CRDs until it ends:
 *    dropping them would check every manifest twice, and make its custom resources flicker to
 *    "not checked".
 * Pure bookkeeping over what the chart provider already rendered: nothing here renders.
 */
import type { RenderLookup, RenderedChart } from './helmRendered.js';

interface LayerCrds {
  /** The render they were read from: the same render object costs nothing to read again. */
  from: RenderedChart;
  crds: readonly object[];
}

interface DocumentCrds {
  layers: Map<number, LayerCrds>;
  /** Every layer's CRDs in layer order; the same array while they are unchanged. */
  list: readonly object[];
}

/** The renders one validation looked up: profile document index → layer index → lookup. */
export type DocumentRenders = ReadonlyMap<number, ReadonlyMap<number, RenderLookup>>;

const NONE: readonly object[] = Object.freeze([]);

function isCrd(m: unknown): m is object {
  const o = m as { kind?: unknown; apiVersion?: unknown } | null;
  return typeof o === 'object' && o !== null && o.kind === 'CustomResourceDefinition' && typeof o.apiVersion === 'string' && o.apiVersion.startsWith('apiextensions.k8s.io/');
}

/** Compared by identity first; by content only when a chart was rendered again. */
function sameCrds(a: readonly object[], b: readonly object[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i] || JSON.stringify(x) === JSON.stringify(b[i]));
}

export class RenderedCrds {
  private readonly documents = new Map<string, Map<number, DocumentCrds>>();

  /**
   * Takes what one validation of `uri` looked up, and answers each profile document's CRDs (its
   * index → the list, undefined for a document without a Helm layer looked up).
   */
  update(uri: string, renders: DocumentRenders): (documentIndex: number) => readonly object[] | undefined {
    const last = this.documents.get(uri);
    const next = new Map<number, DocumentCrds>();
    for (const [index, lookups] of renders) {
      const before = last?.get(index);
      const layers = new Map<number, LayerCrds>();
      for (const [layer, lookup] of lookups) {
        const kept = before?.layers.get(layer);
        if (lookup.state === 'ready') {
          if (kept?.from === lookup.rendered) layers.set(layer, kept);
          else {
            const crds = lookup.rendered.objects.map((o) => o.manifest).filter(isCrd);
            layers.set(layer, { from: lookup.rendered, crds: kept && sameCrds(kept.crds, crds) ? kept.crds : crds });
          }
        } else if (lookup.state === 'pending' && kept) layers.set(layer, kept);
      }
      const list = [...layers.values()].flatMap((l) => l.crds);
      const same = before !== undefined && before.list.length === list.length && before.list.every((c, i) => c === list[i]);
      next.set(index, { layers, list: same ? before.list : list.length ? list : NONE });
    }
    if (next.size) this.documents.set(uri, next);
    else this.documents.delete(uri);
    return (index) => next.get(index)?.list;
  }

  /** The document's CRDs as the last validation found them (hover and completion). */
  list(uri: string, documentIndex: number): readonly object[] | undefined {
    return this.documents.get(uri)?.get(documentIndex)?.list;
  }

  forget(uri: string): void {
    this.documents.delete(uri);
  }
}
