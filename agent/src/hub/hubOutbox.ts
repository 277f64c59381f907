/**
 * Events the hub does not have yet, kept in the member's own cluster while the hub is out of
 * reach, so an outage of any length (and an agent restart during it) loses none: the local
 * ClusterAgent status holds only the newest STATUS_LIMITS.events. ConfigMaps
 * kplane-hub-outbox-<n> in the agent namespace hold events n*CHUNK … (n+1)*CHUNK-1 as JSON; a
 * chunk whose events the hub has is deleted. Only written while the hub is unreachable.
 */
import type { AgentEvent } from '@kplane/profile';
import type { KubeClient } from '@kplane/kube';

export const OUTBOX_LABEL = 'kplane.dev/hub-outbox';
/** 500 events of at most ~1.3 KB each stay well under a ConfigMap's 1 MiB. */
const CHUNK = 500;
const MANAGER = 'kplane-agent-hub';

export class HubOutbox {
  /** What each stored chunk holds, by chunk number (its last seq and count, to skip unchanged writes). */
  private stored = new Map<number, string>();
  private readonly path: string;

  constructor(
    private readonly api: KubeClient,
    private readonly namespace: string,
  ) {
    this.path = `/api/v1/namespaces/${namespace}/configmaps`;
  }

  /** Every event stored, oldest first. */
  async restore(): Promise<AgentEvent[]> {
    const list = await this.api.request<{ items: { metadata: { name: string }; data?: Record<string, string> }[] }>('GET', this.path, { query: { labelSelector: `${OUTBOX_LABEL}=true` } });
    const events: AgentEvent[] = [];
    for (const cm of list.items) {
      const n = Number(cm.metadata.name.slice('kplane-hub-outbox-'.length));
      try {
        const chunk = JSON.parse(cm.data?.events ?? '[]') as AgentEvent[];
        events.push(...chunk);
        this.stored.set(n, mark(chunk));
      } catch {
        // A chunk that is not JSON was not written by us: leave it, it is not ours to read.
      }
    }
    return events.sort((a, b) => a.seq - b.seq);
  }

  get holding(): boolean {
    return this.stored.size > 0;
  }

  /** Stores exactly `pending` (the events the hub lacks): changed chunks written, emptied ones deleted. */
  async save(pending: readonly AgentEvent[]): Promise<void> {
    const chunks = new Map<number, AgentEvent[]>();
    for (const e of pending) {
      const n = Math.floor(e.seq / CHUNK);
      const list = chunks.get(n) ?? [];
      list.push(e);
      chunks.set(n, list);
    }
    for (const [n, events] of chunks) {
      if (this.stored.get(n) === mark(events)) continue;
      const name = `kplane-hub-outbox-${n}`;
      await this.api.apply(`${this.path}/${name}`, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, namespace: this.namespace, labels: { [OUTBOX_LABEL]: 'true' } },
        data: { events: JSON.stringify(events) },
      }, MANAGER);
      this.stored.set(n, mark(events));
    }
    for (const n of [...this.stored.keys()]) {
      if (chunks.has(n)) continue;
      await this.api.request('DELETE', `${this.path}/kplane-hub-outbox-${n}`).catch((err: { status?: number }) => {
        if (err.status !== 404) throw err;
      });
      this.stored.delete(n);
    }
  }
}

function mark(events: readonly AgentEvent[]): string {
  return `${events[0]?.seq}-${events.at(-1)?.seq}-${events.length}`;
}
