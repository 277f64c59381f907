/**
 * Whether the agent runs in hub mode, and with which hub: --hub-kubeconfig, or else Secret
 * kplane-hub in the agent namespace, looked at every SECRET_POLL_MS so that `kplane hub join`
 * and `leave` take effect without restarting the agent (a changed Secret, e.g. a renewed token,
 * restarts the hub sync with it). Without either, nothing here runs.
 */
import { HUB_SECRET_NAME, type AgentEvent, type ClusterAgentStatus } from '@kplane/profile';
import { KubeClient, delay, type KubeObject } from '@kplane/kube';
import type { Logger } from '../controller/logger.js';
import { hubTargetFromFile, hubTargetFromText, type HubTarget } from './hubConnection.js';
import { HubSync, type HubSyncOptions } from './hubSync.js';

export const SECRET_POLL_MS = 15_000;

export interface HubModeOptions {
  /** --hub-kubeconfig */
  kubeconfigPath?: string;
  /** --hub-member, when the kubeconfig's context names no member namespace. */
  member?: string;
  heartbeatMs: number;
}

export type HubSyncDeps = Omit<HubSyncOptions, 'hub' | 'hubNamespace' | 'heartbeatMs' | 'log'>;

export class HubMode {
  private sync?: HubSync;

  constructor(
    private readonly local: KubeClient,
    private readonly namespace: string,
    private readonly options: HubModeOptions,
    private readonly deps: HubSyncDeps,
    private readonly log: Logger,
  ) {}

  /** The running hub sync, if any (tests and metrics). */
  get current(): HubSync | undefined {
    return this.sync;
  }

  onEvent(event: AgentEvent): void {
    this.sync?.onEvent(event);
  }

  onStatus(_status: ClusterAgentStatus): void {
    this.sync?.onStatus();
  }

  onLocalProfile(obj: KubeObject): void {
    this.sync?.onLocalProfile(obj);
  }

  async run(signal: AbortSignal): Promise<void> {
    if (this.options.kubeconfigPath) {
      let target: HubTarget;
      try {
        target = hubTargetFromFile(this.options.kubeconfigPath, this.options.member);
      } catch (err) {
        this.log.error('hub mode is off: cannot use --hub-kubeconfig', { err });
        return;
      }
      await this.runWith(target, signal);
      return;
    }
    let seen = '';
    let running: { stop: AbortController; done: Promise<void> } | undefined;
    while (!signal.aborted) {
      let secret: { metadata: { resourceVersion?: string }; data?: Record<string, string> } | undefined;
      let readable = true;
      try {
        secret = await this.local.getOrUndefined(`/api/v1/namespaces/${this.namespace}/secrets/${HUB_SECRET_NAME}`);
      } catch (err) {
        // Cannot tell (local API server away, or no RBAC): keep whatever runs now.
        readable = false;
        this.log.debug('cannot read the hub Secret', { err });
      }
      const version = secret?.metadata.resourceVersion ?? '';
      if (readable && version !== seen) {
        seen = version;
        if (running) {
          this.log.info(secret ? 'hub Secret changed; reconnecting' : 'hub Secret removed; hub mode off (local profiles stay and are enforced)');
          running.stop.abort();
          await running.done;
          running = undefined;
        }
        if (secret) {
          try {
            const text = Buffer.from(secret.data?.kubeconfig ?? '', 'base64').toString('utf8');
            const member = secret.data?.member ? Buffer.from(secret.data.member, 'base64').toString('utf8') : this.options.member;
            const target = hubTargetFromText(text, `Secret ${this.namespace}/${HUB_SECRET_NAME}`, member);
            const stop = new AbortController();
            running = { stop, done: this.runWith(target, AbortSignal.any([signal, stop.signal])) };
          } catch (err) {
            this.log.error('hub mode is off: the hub Secret is unusable', { err });
          }
        }
      }
      await delay(SECRET_POLL_MS, signal);
    }
    await running?.done;
  }

  private async runWith(target: HubTarget, signal: AbortSignal): Promise<void> {
    if (target.token) this.log.addSecrets([target.token]);
    const hub = new KubeClient(target.connection);
    const sync = new HubSync({ ...this.deps, hub, hubNamespace: target.namespace, heartbeatMs: this.options.heartbeatMs, log: this.log.child({ member: target.member }) });
    this.sync = sync;
    try {
      await sync.run(signal);
    } catch (err) {
      if (!signal.aborted) this.log.error('hub sync stopped', { err });
    } finally {
      if (this.sync === sync) this.sync = undefined;
      hub.close();
    }
  }
}
