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
import { HubTokenRenewer } from './hubToken.js';

export const SECRET_POLL_MS = 15_000;

export interface HubModeOptions {
  /** --hub-kubeconfig */
  kubeconfigPath?: string;
  /** --hub-member, when the kubeconfig's context names no member namespace. */
  member?: string;
  heartbeatMs: number;
  /** --hub-token-renew: renew the hub token once it is this old (default: 80 % of its lifetime, at most 24 h). */
  tokenRenewAfterMs?: number;
}

export type HubSyncDeps = Omit<HubSyncOptions, 'hub' | 'hubNamespace' | 'heartbeatMs' | 'log'>;

export class HubMode {
  private sync?: HubSync;
  /** The hub kubeconfig in use (a renewed token included): a Secret that says otherwise restarts the hub sync. */
  private inUse = '';
  private renewer?: HubTokenRenewer;

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

  /** The token renewal of the running hub sync, if any (tests and metrics). */
  get tokenRenewal(): HubTokenRenewer | undefined {
    return this.renewer;
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
    let running: { stop: AbortController; done: Promise<void> } | undefined;
    let seen = '';
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
      const text = Buffer.from(secret?.data?.kubeconfig ?? '', 'base64').toString('utf8');
      // The agent's own write of a renewed token changes the version, not what is in use.
      if (readable && version !== seen && !(running && secret && text === this.inUse)) {
        seen = version;
        if (running) {
          this.log.info(secret ? 'hub Secret changed; reconnecting' : 'hub Secret removed; hub mode off (local profiles stay and are enforced)');
          running.stop.abort();
          await running.done;
          running = undefined;
        }
        if (secret) {
          try {
            const member = secret.data?.member ? Buffer.from(secret.data.member, 'base64').toString('utf8') : this.options.member;
            const target = hubTargetFromText(text, `Secret ${this.namespace}/${HUB_SECRET_NAME}`, member);
            const stop = new AbortController();
            this.inUse = text;
            running = { stop, done: this.runWith(target, AbortSignal.any([signal, stop.signal]), { kubeconfig: text, version }) };
          } catch (err) {
            this.log.error('hub mode is off: the hub Secret is unusable', { err });
          }
        }
      }
      await delay(SECRET_POLL_MS, signal);
    }
    await running?.done;
  }

  /** `secret`: the hub Secret the target came from, whose token the agent renews (a --hub-kubeconfig file is its owner's to renew). */
  private async runWith(target: HubTarget, signal: AbortSignal, secret?: { kubeconfig: string; version: string }): Promise<void> {
    if (target.token) this.log.addSecrets([target.token]);
    const hub = new KubeClient(target.connection);
    const log = this.log.child({ member: target.member });
    const sync = new HubSync({ ...this.deps, hub, hubNamespace: target.namespace, heartbeatMs: this.options.heartbeatMs, log });
    const renewer = secret && target.token && target.setToken
      ? new HubTokenRenewer({
          hub,
          local: this.local,
          localNamespace: this.namespace,
          kubeconfig: secret.kubeconfig,
          secretVersion: secret.version,
          token: target.token,
          useToken: target.setToken,
          renewed: (kubeconfig) => {
            if (this.renewer === renewer) this.inUse = kubeconfig;
          },
          ...(this.options.tokenRenewAfterMs !== undefined ? { renewAfterMs: this.options.tokenRenewAfterMs } : {}),
          member: target.member,
          log: log.child({ component: 'hub-token' }),
        })
      : undefined;
    this.sync = sync;
    this.renewer = renewer;
    try {
      await Promise.all([
        sync.run(signal),
        renewer?.run(signal),
      ]);
    } catch (err) {
      if (!signal.aborted) this.log.error('hub sync stopped', { err });
    } finally {
      if (this.sync === sync) this.sync = undefined;
      if (this.renewer === renewer) this.renewer = undefined;
      hub.close();
    }
  }
}
