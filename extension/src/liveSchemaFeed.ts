/**
 * Feeds the language server the live API of the clusters each open profile targets
 * (kplane/liveTargets): the clusters that run one of its profiles, or every cluster it could be
 * applied to (@kplane/plane's profileTargets). Their discovery and OpenAPI v3 documents are read
 * by plane/src/cluster/liveSchemas.ts into the extension's storage, revalidated with ETags, so a
 * cluster that does not answer is checked against its last known schemas.
 *
 * Nothing here waits in the typing path: it starts once the fleet is being watched (activation
 * does no cluster I/O), works in the background a second after a change, reads clusters only when
 * the targets or the file's apiVersions changed (or to revalidate), and sends the server only
 * what changed. Clusters that share a release and CRD set share one schema set, sent once.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { LiveTargetsRequest, type LiveSchemaSetParams, type LiveTargetParams, type RenderedGroupVersionsNotification } from '@kplane/language-server/protocol';
import { profileFileFacts, profileTargets, type ProfileFileFacts } from '@kplane/plane';
import type { LiveSchemaStore } from '@kplane/plane/cluster';
import type { FleetService } from './fleetService.js';

/** How long after a change (typing, fleet) the targets are worked out again. */
const QUIET_MS = 1000;
/** How often the targets' discovery is revalidated (ETags: an unchanged cluster sends 304s). */
const REVALIDATE_MS = 5 * 60_000;
/** Clusters read at once. */
const CONCURRENCY = 8;

const isProfileText = (text: string): boolean => /^kind:[ \t]*["']?ClusterProfile["']?[ \t]*(#.*)?$/m.test(text);

export function liveSchemasEnabled(): boolean {
  return vscode.workspace.getConfiguration('kplane.validation').get<boolean>('liveSchemas', true) !== false;
}

/** What the feed last worked out, for the tests and the log. */
export interface LiveSchemaFeedState {
  /** Per document URI: its targets as last sent. */
  documents: Record<string, LiveTargetParams[]>;
  /** Distinct schema sets among them. */
  sets: number;
}

export class LiveSchemaFeed implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly revalidate: ReturnType<typeof setInterval>;
  private running: Promise<void> | undefined;
  private again = false;
  private force = false;
  private store: LiveSchemaStore | undefined;
  /** Facts per document, by version (none for YAML that is no profile): a document is read again only when it changed. */
  private readonly facts = new Map<string, { version: number; facts: ProfileFileFacts | undefined }>();
  /** Per document: the group/versions its Helm layers render, as the server last said (not in its text). */
  private readonly renderedGroupVersions = new Map<string, readonly string[]>();
  /** What targets and group/versions were last read, so fleet noise (heartbeats) reads nothing. */
  private plan = '';
  /** What was last sent, so an unchanged result is not sent again. */
  private sent = '';
  /** Set ids the server has been sent (it says which it lacks after a restart). */
  private readonly known = new Set<string>();
  private readonly logged = new Set<string>();
  private readonly emitter = new vscode.EventEmitter<LiveSchemaFeedState>();
  /** Fires after the server took new targets. */
  readonly onDidSend = this.emitter.event;
  state: LiveSchemaFeedState = { documents: {}, sets: 0 };

  constructor(
    private readonly fleet: FleetService,
    private readonly client: () => Promise<LanguageClient | undefined>,
    private readonly log: vscode.LogOutputChannel,
    private readonly cacheDir: string | undefined,
  ) {
    const schedule = () => this.schedule();
    const unsubscribe = fleet.model.onChange(schedule);
    this.disposables.push(
      { dispose: unsubscribe },
      fleet.onDidStart(() => this.schedule(true)),
      vscode.workspace.onDidOpenTextDocument((d) => d.languageId === 'yaml' && this.schedule()),
      vscode.workspace.onDidCloseTextDocument((d) => {
        this.renderedGroupVersions.delete(d.uri.toString());
        if (this.facts.delete(d.uri.toString())) this.schedule();
      }),
      vscode.workspace.onDidChangeTextDocument((e) => e.document.languageId === 'yaml' && e.contentChanges.length > 0 && this.schedule()),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('kplane.validation.liveSchemas') && this.schedule(true)),
      this.emitter,
    );
    this.revalidate = setInterval(() => this.schedule(true), REVALIDATE_MS);
    if (fleet.started) this.schedule(true);
  }

  /**
   * Works the targets out again QUIET_MS after the first of a burst of changes; `force` reads the
   * clusters even if the plan is the same. Not pushed back by later changes: a fleet of 1,000
   * clusters changes (heartbeats) many times a second, and would otherwise never let it run.
   */
  schedule(force = false): void {
    this.force ||= force;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.running) {
        this.again = true;
        return;
      }
      this.running = this.run()
        .catch((err: unknown) => this.log.warn(`live schemas: ${err instanceof Error ? err.message : String(err)}`))
        .finally(() => {
          this.running = undefined;
          if (this.again) {
            this.again = false;
            this.schedule();
          }
        });
    }, QUIET_MS);
  }

  /** The server rendered a document's Helm layers: their group/versions' schemas are read too. */
  rendered(params: RenderedGroupVersionsNotification.Params): void {
    if (typeof params.uri !== 'string' || !Array.isArray(params.groupVersions)) return;
    this.renderedGroupVersions.set(params.uri, params.groupVersions.filter((gv) => typeof gv === 'string'));
    this.schedule();
  }

  /** Resolves when no work is pending or running (tests). */
  async idle(): Promise<void> {
    while (this.timer || this.running) await (this.running ?? new Promise((r) => setTimeout(r, QUIET_MS)));
  }

  /** The profile facts of an open YAML document, or undefined when it holds no ClusterProfile. */
  private factsOf(document: vscode.TextDocument): ProfileFileFacts | undefined {
    const uri = document.uri.toString();
    const known = this.facts.get(uri);
    if (known?.version === document.version) return known.facts;
    const text = document.getText();
    const facts = isProfileText(text) ? profileFileFacts(text) : undefined;
    this.facts.set(uri, { version: document.version, facts });
    return facts;
  }

  private async run(): Promise<void> {
    const force = this.force;
    this.force = false;
    // Each document's text is read once per version (factsOf), not on every run: fleet changes
    // (heartbeats) schedule a run every second at 1,000 clusters.
    const documents = liveSchemasEnabled() && this.fleet.started ? vscode.workspace.textDocuments.filter((d) => d.languageId === 'yaml' && !d.isClosed) : [];
    const clusters = this.fleet.model.list();
    const perDocument = new Map<string, string[]>();
    const groupVersions = new Map<string, Set<string>>();
    for (const document of documents) {
      const facts = this.factsOf(document);
      if (!facts) continue;
      const { ids } = profileTargets(facts, clusters, this.fleet.namespace);
      perDocument.set(document.uri.toString(), ids);
      for (const id of ids) {
        const gvs = groupVersions.get(id) ?? new Set<string>();
        for (const gv of facts.groupVersions) gvs.add(gv);
        for (const gv of this.renderedGroupVersions.get(document.uri.toString()) ?? []) gvs.add(gv);
        groupVersions.set(id, gvs);
      }
    }
    const plan = JSON.stringify([[...perDocument], [...groupVersions].map(([id, gvs]) => [id, [...gvs].sort()])]);
    if (plan === this.plan && !force) return;
    this.plan = plan;

    const results = new Map<string, { target: LiveTargetParams; set?: LiveSchemaSetParams }>();
    if (groupVersions.size) {
      const { LiveSchemaStore } = await import('./runtime.js');
      this.store ??= new LiveSchemaStore({ timeoutMs: this.fleet.timeoutMs, ...(this.cacheDir ? { cacheDir: this.cacheDir } : {}) });
      const store = this.store;
      const queue = [...groupVersions];
      const worker = async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          const [id, gvs] = next;
          results.set(id, await this.read(store, id, [...gvs]));
        }
      };
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, worker));
    }
    await this.send(perDocument, results);
  }

  /** One cluster's schema set, or why there is none; problems are logged once. */
  private async read(store: LiveSchemaStore, id: string, groupVersions: string[]): Promise<{ target: LiveTargetParams; set?: LiveSchemaSetParams }> {
    const client = this.fleet.client(id);
    let result: { target: LiveTargetParams; set?: LiveSchemaSetParams };
    if (!client) result = { target: { name: id, state: 'unreachable', problems: [`${id}: not connected yet`] } };
    else {
      try {
        const set = await store.schemaSet(client, groupVersions);
        result = { target: { name: id, state: set.state, set: set.id, kubernetes: set.kubernetes, fetchedAt: set.fetchedAt, problems: set.problems }, set: { id: set.id, data: set.kube.data } };
      } catch (err) {
        result = { target: { name: id, state: 'unreachable', problems: [`${id}: ${err instanceof Error ? err.message : String(err)} (nothing cached for it either)`] } };
      }
    }
    for (const problem of result.target.problems ?? []) {
      if (this.logged.has(problem)) continue;
      this.logged.add(problem);
      this.log.warn(`live schemas: ${problem}`);
    }
    return result;
  }

  private async send(perDocument: Map<string, string[]>, results: Map<string, { target: LiveTargetParams; set?: LiveSchemaSetParams }>): Promise<void> {
    const documents: Record<string, LiveTargetParams[]> = {};
    const sets = new Map<string, LiveSchemaSetParams>();
    for (const [uri, ids] of perDocument) {
      documents[uri] = ids.flatMap((id) => {
        const r = results.get(id);
        if (r?.set) sets.set(r.set.id, r.set);
        return r ? [r.target] : [];
      });
    }
    const signature = JSON.stringify(documents);
    if (signature === this.sent) return;
    const client = await this.client();
    if (!client) return;
    const fresh = [...sets.values()].filter((s) => !this.known.has(s.id));
    let answer = await client.sendRequest(LiveTargetsRequest.method, { documents, sets: fresh } satisfies LiveTargetsRequest.Params) as LiveTargetsRequest.Result;
    if (answer.missingSets.length) {
      // The server restarted (or dropped them): send those again.
      answer = await client.sendRequest(LiveTargetsRequest.method, { documents, sets: answer.missingSets.flatMap((id) => sets.get(id) ?? []) } satisfies LiveTargetsRequest.Params) as LiveTargetsRequest.Result;
    }
    this.known.clear();
    for (const id of sets.keys()) this.known.add(id);
    this.sent = signature;
    this.state = { documents, sets: sets.size };
    const targets = new Set(Object.values(documents).flatMap((list) => list.map((t) => t.name)));
    this.log.info(`live schemas: ${Object.keys(documents).length} profile file(s) checked against ${targets.size} cluster(s), ${sets.size} distinct schema set(s)`);
    this.emitter.fire(this.state);
  }

  /** The language server (re)started: it knows no targets; send them all again. */
  resend(): void {
    this.sent = '';
    this.known.clear();
    this.schedule(true);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    clearInterval(this.revalidate);
    for (const d of this.disposables) d.dispose();
  }
}

/** kplane.showCheckedAgainst: the CodeLens's detail, one line per target; returns the lines (tests). */
export function showCheckedAgainst(uri: unknown, lines: unknown): string[] {
  const list = Array.isArray(lines) ? lines.filter((l): l is string => typeof l === 'string') : [];
  const file = typeof uri === 'string' ? vscode.Uri.parse(uri).path.split('/').pop() : undefined;
  // Indented lines are a target's problems.
  const items = list.map((line) => ({ label: line.startsWith(' ') ? `$(warning) ${line.trim()}` : line }));
  void vscode.window.showQuickPick(items, { title: `What ${file ?? 'this profile'} was checked against` });
  return list;
}
