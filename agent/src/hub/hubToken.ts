/**
 * Renewal of the agent's hub token (docs/hub.md). `kplane hub join` stores a TokenRequest token,
 * which expires. Before it does, the agent asks the hub for a new one for its own ServiceAccount
 * (its Role allows create on serviceaccounts/token for that one name only), uses it from the next
 * request on, and writes it into Secret kplane-hub so a restarted agent starts with it.
 * When: like the kubelet's projected tokens, once the token has lived 80 % of its lifetime or
 * 24 hours, whichever comes first (or --hub-token-renew). The new token asks for the lifetime
 * the old one had; the hub may cap it (--service-account-max-token-expiration).
 */
import { HUB_SECRET_NAME } from '@kplane/profile';
import { MIN_TOKEN_SECONDS, renewTime, tokenClaims, withToken, type TokenClaims } from '../core/hubToken.js';
import { KubeError, backoffDelay, delay, type KubeClient } from '@kplane/kube';
import type { Logger } from '../controller/logger.js';

/** Retries of a failed renewal: 5 s doubling to 5 min, jittered (kube's one retry rule). */
const RETRY_BACKOFF = { initialMs: 5_000, maxMs: 5 * 60_000 };

export interface TokenRenewerOptions {
  hub: KubeClient;
  local: KubeClient;
  /** The agent namespace on the member, where Secret kplane-hub is. */
  localNamespace: string;
  /** The Secret's kubeconfig as read, and its resourceVersion. */
  kubeconfig: string;
  secretVersion: string;
  token: string;
  /** Switches the hub connection to `token` (from the next request on). */
  useToken: (token: string) => void;
  /** The kubeconfig with the renewed token, before it is written to the Secret: that write is no change to react to. */
  renewed: (kubeconfig: string) => void;
  renewAfterMs?: number;
  member: string;
  log: Logger;
  now?: () => number;
}

export class HubTokenRenewer {
  private token: string;
  private kubeconfig: string;
  private secretVersion: string;
  /** A renewed token not yet in the Secret (the local API server refused the write). */
  private unsaved = false;
  readonly stats = { renewals: 0 };

  constructor(private readonly o: TokenRenewerOptions) {
    this.token = o.token;
    this.kubeconfig = o.kubeconfig;
    this.secretVersion = o.secretVersion;
  }

  /** Runs until `signal` aborts; never throws. */
  async run(signal: AbortSignal): Promise<void> {
    const now = this.o.now ?? Date.now;
    let failures = 0;
    while (!signal.aborted) {
      const claims = tokenClaims(this.token);
      if (!claims) {
        this.o.log.info('the hub token has no expiry the agent can read; it is not renewed');
        return;
      }
      const wait = this.unsaved ? 0 : renewTime(claims, this.o.renewAfterMs) - now();
      if (wait > 0) {
        // Timers fire late after a suspend; wake at least hourly to look at the clock again.
        await delay(Math.min(wait, 3600_000), signal);
        continue;
      }
      try {
        if (!this.unsaved) await this.renew(claims);
        await this.save();
        failures = 0;
      } catch (err) {
        failures++;
        const expired = claims.expiresAt * 1000 <= now() || (err instanceof KubeError && err.status === 401);
        if (expired) this.o.log.error(`the hub token expired before it could be renewed; run "kplane hub join ${this.o.member} --update" to issue a new one`, { err, expires: new Date(claims.expiresAt * 1000).toISOString() });
        else this.o.log.warn('cannot renew the hub token yet; retrying', { err, expires: new Date(claims.expiresAt * 1000).toISOString(), attempt: failures });
        await delay(backoffDelay(failures - 1, RETRY_BACKOFF), signal);
      }
    }
  }

  private async renew(claims: TokenClaims): Promise<void> {
    const seconds = Math.max(MIN_TOKEN_SECONDS, claims.expiresAt - claims.issuedAt);
    const answer = await this.o.hub.request<{ status: { token: string; expirationTimestamp?: string } }>('POST', `/api/v1/namespaces/${claims.namespace}/serviceaccounts/${claims.serviceAccount}/token`, {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: seconds } },
    });
    const token = answer.status.token;
    this.o.log.addSecrets([token]);
    this.o.useToken(token);
    this.token = token;
    this.kubeconfig = withToken(this.kubeconfig, token);
    this.o.renewed(this.kubeconfig);
    this.unsaved = true;
    this.stats.renewals++;
    this.o.log.info('hub token renewed', { expires: answer.status.expirationTimestamp });
  }

  /**
   * Into the Secret, under the resourceVersion read: a 409 means someone rewrote it (a `join
   * --update`), whose token wins; the agent's Secret poll reconnects with it.
   */
  private async save(): Promise<void> {
    try {
      const written = await this.o.local.request<{ metadata: { resourceVersion: string } }>('PATCH', `/api/v1/namespaces/${this.o.localNamespace}/secrets/${HUB_SECRET_NAME}`, {
        body: { metadata: { resourceVersion: this.secretVersion }, data: { kubeconfig: Buffer.from(this.kubeconfig).toString('base64') } },
        contentType: 'application/merge-patch+json',
      });
      this.secretVersion = written.metadata.resourceVersion;
    } catch (err) {
      if (!(err instanceof KubeError && (err.status === 409 || err.status === 404))) throw err;
      this.o.log.info('Secret kplane-hub changed meanwhile; the renewed token is used until the agent picks up the new Secret', { status: err.status });
    }
    this.unsaved = false;
  }
}
