/**
 * Leader election through a coordination.k8s.io Lease, as client-go's leaderelection does it:
 * take the Lease when it is free or expired, renew it every retry period, and stop acting the
 * moment a renewal fails past the lease duration. Updates use the Lease's resourceVersion, so
 * two candidates cannot both win the same round.
 */
import { AGENT_FIELD_MANAGER } from '@kplane/profile';
import { KubeError, type KubeClient, delay } from '@kplane/kube';
import type { Logger } from './logger.js';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  retryPeriodMs: number;
}

interface Lease {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

const microTime = (d: Date) => d.toISOString().replace('Z', '000Z');

export class LeaderElector {
  private lastRenew = 0;
  private readonly path: string;

  constructor(
    private readonly api: KubeClient,
    private readonly options: LeaderElectionOptions,
    private readonly log: Logger,
  ) {
    this.path = `/apis/coordination.k8s.io/v1/namespaces/${options.namespace}/leases`;
  }

  /** Resolves once this candidate holds the Lease (or `signal` aborts: then false). */
  async acquire(signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew()) return true;
      await delay(this.options.retryPeriodMs, signal);
    }
    return false;
  }

  /** Keeps renewing until a renewal fails for longer than the lease duration; then calls `lost`. */
  async keep(signal: AbortSignal, lost: () => void): Promise<void> {
    while (!signal.aborted) {
      await delay(this.options.retryPeriodMs, signal);
      if (signal.aborted) return;
      const ok = await this.tryAcquireOrRenew();
      // Stop acting a little before others may take over (renew deadline = 2/3 of the duration).
      if (!ok && Date.now() - this.lastRenew > (this.options.leaseDurationMs * 2) / 3) {
        lost();
        return;
      }
    }
  }

  /** Gives the Lease up on graceful shutdown so a standby takes over at once. */
  async release(): Promise<void> {
    try {
      const lease = await this.api.getOrUndefined<Lease>(`${this.path}/${this.options.name}`);
      if (lease?.spec.holderIdentity !== this.options.identity) return;
      lease.spec.holderIdentity = '';
      lease.spec.leaseDurationSeconds = 1;
      await this.api.request('PUT', `${this.path}/${this.options.name}`, { body: lease, query: { fieldManager: AGENT_FIELD_MANAGER } });
    } catch (err) {
      this.log.warn('could not release the leader lease', { err });
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    const durationSeconds = Math.max(1, Math.round(this.options.leaseDurationMs / 1000));
    try {
      const lease = await this.api.getOrUndefined<Lease>(`${this.path}/${this.options.name}`);
      if (!lease) {
        await this.api.request('POST', this.path, {
          query: { fieldManager: AGENT_FIELD_MANAGER },
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name: this.options.name, namespace: this.options.namespace },
            spec: { holderIdentity: this.options.identity, leaseDurationSeconds: durationSeconds, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 },
          },
        });
        this.lastRenew = Date.now();
        return true;
      }
      const holder = lease.spec.holderIdentity ?? '';
      const renewed = lease.spec.renewTime ? Date.parse(lease.spec.renewTime) : 0;
      const expired = renewed + (lease.spec.leaseDurationSeconds ?? durationSeconds) * 1000 < now.getTime();
      if (holder && holder !== this.options.identity && !expired) return false;
      const taking = holder !== this.options.identity;
      lease.spec = {
        ...lease.spec,
        holderIdentity: this.options.identity,
        leaseDurationSeconds: durationSeconds,
        renewTime: microTime(now),
        ...(taking ? { acquireTime: microTime(now), leaseTransitions: (lease.spec.leaseTransitions ?? 0) + 1 } : {}),
      };
      await this.api.request('PUT', `${this.path}/${this.options.name}`, { body: lease, query: { fieldManager: AGENT_FIELD_MANAGER } });
      this.lastRenew = Date.now();
      if (taking) this.log.info('became leader', { identity: this.options.identity, previous: holder || undefined });
      return true;
    } catch (err) {
      // 409: another candidate updated the Lease first; anything else: try again next period.
      if (!(err instanceof KubeError && err.status === 409)) this.log.warn('leader election round failed', { err });
      return false;
    }
  }
}
