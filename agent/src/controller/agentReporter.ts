/**
 * The ClusterAgent object (kplane-system/agent): the agent's own status for the management
 * plane. Heartbeat at spec.heartbeatInterval, versions, nodes, profile counts, conditions, and
 * the bounded event log whose seq continues across restarts (restored from this same status).
 * Each agent event is also a Kubernetes Event on the profile, for `kubectl describe`.
 */
import { AGENT_FIELD_MANAGER, AGENT_KIND, AGENT_OBJECT_NAME, AGENT_PLURAL, API_VERSION, parseDuration, setCondition, type AgentEvent, type ClusterAgent, type ClusterAgentStatus, type ClusterProfile } from '@kplane/profile';
import { appendEvent, restoreLog, type EventLog } from '../core/eventLog.js';
import { redact } from '../core/redact.js';
import { profileCounts, statusPatch } from '../core/status.js';
import { type KubeClient, delay } from '@kplane/kube';
import type { Logger } from './logger.js';

export const AGENT_VERSION = '0.1.0';
const DEFAULT_HEARTBEAT_MS = 30_000;
/** Events are batched into one status write at most this often. */
const FLUSH_DELAY_MS = 200;

export class AgentReporter {
  private log: EventLog = { events: [], nextSeq: 1 };
  private lastWritten = '';
  /** The status as the API server last answered it: writes send only what differs from it. */
  private answeredStatus: ClusterAgentStatus | undefined;
  /** The profile counts of the last status write (undefined before the first). */
  private lastCounts: string | undefined;
  private kubernetesVersion = '';
  private clusterId = '';
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private heartbeatTime = '';
  private heartbeatMs = DEFAULT_HEARTBEAT_MS;
  /** Aborted to cut the current heartbeat sleep short when the interval shrinks. */
  private wake = new AbortController();
  private readonly path: string;
  /** The last status written (undefined before the first write). */
  lastStatus: ClusterAgentStatus | undefined;
  /** Hub mode listens here: each event as logged, with its seq, and each status written. */
  readonly listeners: { event?: (event: AgentEvent) => void; status?: (status: ClusterAgentStatus) => void } = {};

  constructor(
    private readonly api: KubeClient,
    private readonly namespace: string,
    private readonly logger: Logger,
    private readonly profiles: () => ClusterProfile[],
    private readonly secrets: () => string[],
    private readonly heartbeatOverrideMs?: number,
  ) {
    this.path = `/apis/${API_VERSION}/namespaces/${namespace}/${AGENT_PLURAL}`;
  }

  /** Reads (or creates) the ClusterAgent and restores the event log from its status. */
  async start(): Promise<void> {
    let agent = await this.api.getOrUndefined<ClusterAgent>(`${this.path}/${AGENT_OBJECT_NAME}`);
    if (!agent) {
      try {
        agent = await this.api.request<ClusterAgent>('POST', this.path, {
          query: { fieldManager: AGENT_FIELD_MANAGER },
          body: { apiVersion: API_VERSION, kind: AGENT_KIND, metadata: { name: AGENT_OBJECT_NAME, namespace: this.namespace }, spec: {} },
        });
      } catch {
        agent = await this.api.request<ClusterAgent>('GET', `${this.path}/${AGENT_OBJECT_NAME}`);
      }
    }
    this.log = restoreLog(agent.status);
    this.answeredStatus = agent.status;
    this.heartbeatMs = this.heartbeatOverrideMs ?? parseDuration(agent.spec?.heartbeatInterval ?? '') ?? DEFAULT_HEARTBEAT_MS;
    const version = await this.api.request<{ gitVersion?: string }>('GET', '/version').catch(() => undefined);
    this.kubernetesVersion = version?.gitVersion ?? '';
    // Without read access to namespaces the agent reports no id, and the plane cannot tell that a
    // cluster in its kubeconfig and a hub member are the same one (it shows both).
    const kubeSystem = await this.api.request<{ metadata?: { uid?: string } }>('GET', '/api/v1/namespaces/kube-system').catch(() => undefined);
    this.clusterId = kubeSystem?.metadata?.uid ?? '';
  }

  get nextSeq(): number {
    return this.log.nextSeq;
  }

  /** The bounded event log as held now, oldest first. */
  get events(): readonly AgentEvent[] {
    return this.log.events;
  }

  event(profile: ClusterProfile | undefined, severity: 'Normal' | 'Warning', reason: string, message: string): void {
    const secrets = this.secrets();
    const clean = redact(message, secrets);
    const entry: Omit<AgentEvent, 'seq'> = { time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), severity, reason, message: clean };
    if (profile) entry.profile = `${profile.metadata.namespace}/${profile.metadata.name}`;
    this.log = appendEvent(this.log, entry);
    this.listeners.event?.(this.log.events[this.log.events.length - 1]);
    this.logger.info('event', { severity, reason, message: clean, profile: entry.profile });
    if (profile) void this.kubeEvent(profile, severity, reason, clean);
    this.scheduleFlush();
  }

  private async kubeEvent(profile: ClusterProfile, type: string, reason: string, message: string): Promise<void> {
    const now = new Date().toISOString();
    try {
      await this.api.request('POST', `/api/v1/namespaces/${profile.metadata.namespace}/events`, {
        query: { fieldManager: AGENT_FIELD_MANAGER },
        body: {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { generateName: `${profile.metadata.name}.`, namespace: profile.metadata.namespace },
          involvedObject: { apiVersion: API_VERSION, kind: 'ClusterProfile', name: profile.metadata.name, namespace: profile.metadata.namespace, uid: profile.metadata.uid },
          reason,
          message,
          type,
          source: { component: 'kplane-agent' },
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    } catch (err) {
      this.logger.warn('could not record a Kubernetes Event', { reason, err });
    }
  }

  /**
   * A profile changed (its informer saw it): when that moves the counts, write them now rather
   * than at the next heartbeat, so the management plane's numbers follow the profiles at once.
   */
  profilesChanged(): void {
    if (this.lastCounts !== undefined && JSON.stringify(profileCounts(this.profiles())) !== this.lastCounts) this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      void this.flush(false);
    }, FLUSH_DELAY_MS);
  }

  /** Writes status if it changed; a heartbeat always writes (that is its point). */
  flush(heartbeat: boolean): Promise<void> {
    this.flushing = this.flushing.then(() => this.write(heartbeat)).catch((err) => this.logger.warn('could not write ClusterAgent status', { err }));
    return this.flushing;
  }

  private async write(heartbeat: boolean): Promise<void> {
    const now = new Date();
    if (heartbeat || !this.heartbeatTime) this.heartbeatTime = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
    const nodes = await this.api.request<{ items: { status?: { conditions?: { type: string; status: string }[] } }[] }>('GET', '/api/v1/nodes').catch(() => ({ items: [] }));
    const ready = nodes.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
    const counts = profileCounts(this.profiles());
    const body: ClusterAgentStatus = {
      ...(this.clusterId ? { clusterId: this.clusterId } : {}),
      agentVersion: AGENT_VERSION,
      kubernetesVersion: this.kubernetesVersion,
      nodes: { total: nodes.items.length, ready },
      profiles: counts,
      conditions: setCondition([], { type: 'Ready', status: 'True', reason: 'Running', message: `Agent ${AGENT_VERSION} is enforcing ${counts.total} profile(s).` }, now),
      events: this.log.events,
      nextSeq: this.log.nextSeq,
    };
    const signature = JSON.stringify({ ...body, conditions: undefined });
    if (!heartbeat && signature === this.lastWritten) return;
    // Only what changed since the last answer (the event log is most of this status); a heartbeat
    // writes at least its time.
    const patch = statusPatch(this.answeredStatus, { ...body, heartbeatTime: this.heartbeatTime }) ?? { heartbeatTime: this.heartbeatTime };
    const written = await this.api.request<ClusterAgent>('PATCH', `${this.path}/${AGENT_OBJECT_NAME}/status`, {
      body: { status: patch },
      contentType: 'application/merge-patch+json',
      query: { fieldManager: AGENT_FIELD_MANAGER },
    });
    this.answeredStatus = written.status;
    this.lastWritten = signature;
    this.lastCounts = JSON.stringify(counts);
    this.lastStatus = { ...body, heartbeatTime: this.heartbeatTime };
    this.listeners.status?.(this.lastStatus);
    this.followSpec(written);
  }

  /**
   * The management plane may change spec.heartbeatInterval at any time: seen in the response of
   * each status write, and at once through the runtime's watch of the ClusterAgent. A shorter
   * interval cuts the current sleep short; otherwise a cluster whose interval went from 30s to 5s
   * would look stale to the management plane (several missed 5s beats) while the agent slept on.
   */
  followSpec(agent: ClusterAgent | undefined): void {
    if (agent?.metadata?.name !== AGENT_OBJECT_NAME || this.heartbeatOverrideMs !== undefined) return;
    const wanted = parseDuration(agent.spec?.heartbeatInterval ?? '');
    if (!wanted || wanted === this.heartbeatMs) return;
    this.logger.info('heartbeat interval changed', { from: this.heartbeatMs, to: wanted });
    const shorter = wanted < this.heartbeatMs;
    this.heartbeatMs = wanted;
    if (shorter) this.wake.abort();
  }

  /** Heartbeats until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.flush(true);
      if (this.wake.signal.aborted) this.wake = new AbortController();
      await delay(this.heartbeatMs, AbortSignal.any([signal, this.wake.signal]));
    }
  }

  async stop(): Promise<void> {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
    await this.flush(false);
  }
}
