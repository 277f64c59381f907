/**
 * Who may read the agent's /metrics in a cluster: as controller-runtime's secure metrics
 * (`filters.WithAuthenticationAndAuthorization`), each request carries a bearer token, which the
 * API server authenticates (a TokenReview) and then authorizes for the request's verb on the
 * non-resource URL (a SubjectAccessReview): a scraper needs a ClusterRole rule
 * `nonResourceURLs: ["/metrics"], verbs: [get]`, the agent needs `create` on `tokenreviews` and
 * `subjectaccessreviews` (agent/deploy/rbac.yaml). Decisions are kept for a short while, by a
 * hash of the token, so a scrape every few seconds costs the API server two requests a minute.
 * The token itself is never kept, logged or put in an answer.
 */
import { createHash } from 'node:crypto';
import type { KubeClient } from '@kplane/kube';

/** A user as a TokenReview names it, passed as is to the SubjectAccessReview. */
export interface ReviewedUser {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

/** The two questions to the API server; `KubeReviewer` asks a real one. */
export interface Reviewer {
  /** The user the token belongs to, or `{ error }` when the API server does not accept it. */
  authenticate(token: string): Promise<{ user: ReviewedUser } | { error: string }>;
  /** Whether the user may `verb` the non-resource URL `path`, and the authorizer's reason. */
  authorize(user: ReviewedUser, verb: string, path: string): Promise<{ allowed: boolean; reason?: string }>;
}

/** What to answer: 200 lets the request through; anything else is the status and its text. */
export interface Decision {
  status: 200 | 401 | 403 | 405 | 500 | 503;
  message: string;
  /** Who asked, when the token was accepted. */
  user?: string;
}

export interface MetricsAuthOptions {
  /** How long an answer (allowed, 401 or 403) is kept; errors of the API server are not kept. */
  allowTtlMs?: number;
  denyTtlMs?: number;
  /** Tokens remembered at once; the least recently decided go first. */
  maxEntries?: number;
  /** Reviews in flight at once; more get 503 rather than queueing load on the API server. */
  maxInFlight?: number;
  now?: () => number;
  /** Told of API-server failures (never given the token). */
  onError?: (message: string) => void;
}

/** Larger than any real bearer token (a service account JWT is about 1 KB); not sent to the API server. */
const MAX_TOKEN_BYTES = 16 * 1024;

const RBAC_HINT = 'grant it a ClusterRole with the rule { nonResourceURLs: ["/metrics"], verbs: [get] }';

export class MetricsAuth {
  private readonly cache = new Map<string, { decision: Decision; until: number }>();
  private readonly pending = new Map<string, Promise<Decision>>();
  private readonly allowTtlMs: number;
  private readonly denyTtlMs: number;
  private readonly maxEntries: number;
  private readonly maxInFlight: number;
  private readonly now: () => number;

  constructor(private readonly reviewer: Reviewer, private readonly options: MetricsAuthOptions = {}) {
    this.allowTtlMs = options.allowTtlMs ?? 60_000;
    this.denyTtlMs = options.denyTtlMs ?? 10_000;
    this.maxEntries = options.maxEntries ?? 1_000;
    this.maxInFlight = options.maxInFlight ?? 16;
    this.now = options.now ?? Date.now;
  }

  /** Decides one request from its method, path and `Authorization` header. */
  async check(method: string | undefined, path: string, authorization: string | undefined): Promise<Decision> {
    // Only reads are served; HEAD is a GET, as the API server's own authorizer sees it.
    if (method !== 'GET' && method !== 'HEAD') return { status: 405, message: `${method ?? '?'} ${path}: only GET is served.` };
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match) {
      return { status: 401, message: `Unauthorized: ${path} needs a Kubernetes bearer token (Authorization: Bearer <token>), e.g. a ServiceAccount's; ${RBAC_HINT}.` };
    }
    const token = match[1];
    if (Buffer.byteLength(token) > MAX_TOKEN_BYTES) return { status: 401, message: `Unauthorized: the bearer token is longer than ${MAX_TOKEN_BYTES} bytes.` };
    const key = `${createHash('sha256').update(token).digest('hex')} get ${path}`;
    const cached = this.cache.get(key);
    if (cached && cached.until > this.now()) {
      // Least recently decided goes first: a hit moves the entry to the end.
      this.cache.delete(key);
      this.cache.set(key, cached);
      return cached.decision;
    }
    if (cached) this.cache.delete(key);
    const running = this.pending.get(key);
    if (running) return running;
    if (this.pending.size >= this.maxInFlight) return { status: 503, message: 'Service Unavailable: too many token reviews in flight; try again.' };
    const review = this.review(token, path)
      .then((decision) => {
        if (decision.status !== 500) this.remember(key, decision);
        return decision;
      })
      .finally(() => this.pending.delete(key));
    this.pending.set(key, review);
    return review;
  }

  /** Tokens whose decision is held (for tests and bounds). */
  get size(): number {
    return this.cache.size;
  }

  private async review(token: string, path: string): Promise<Decision> {
    let user: ReviewedUser;
    try {
      const result = await this.reviewer.authenticate(token);
      if ('error' in result) return { status: 401, message: `Unauthorized: the API server did not accept the bearer token${result.error ? ` (${result.error})` : ''}.` };
      user = result.user;
    } catch (err) {
      return this.failed('TokenReview', err);
    }
    try {
      const { allowed, reason } = await this.reviewer.authorize(user, 'get', path);
      if (!allowed) {
        return { status: 403, user: user.username, message: `Forbidden: ${user.username} may not get ${path}${reason ? ` (${reason})` : ''}; ${RBAC_HINT}.` };
      }
      return { status: 200, user: user.username, message: 'ok' };
    } catch (err) {
      return this.failed('SubjectAccessReview', err);
    }
  }

  private failed(what: string, err: unknown): Decision {
    const message = `the agent could not ask the API server (${what}): ${(err as Error).message ?? String(err)}`;
    this.options.onError?.(message);
    return { status: 500, message: `Internal Server Error: ${message}. The agent needs create on tokenreviews and subjectaccessreviews (agent/deploy/rbac.yaml).` };
  }

  private remember(key: string, decision: Decision): void {
    this.cache.set(key, { decision, until: this.now() + (decision.status === 200 ? this.allowTtlMs : this.denyTtlMs) });
    for (const oldest of this.cache.keys()) {
      if (this.cache.size <= this.maxEntries) break;
      this.cache.delete(oldest);
    }
  }
}

/** The reviews asked of the cluster the agent runs in (authentication.k8s.io/v1, authorization.k8s.io/v1). */
export class KubeReviewer implements Reviewer {
  constructor(private readonly api: KubeClient, private readonly timeoutMs = 10_000) {}

  async authenticate(token: string): Promise<{ user: ReviewedUser } | { error: string }> {
    const review = await this.api.request<{ status?: { authenticated?: boolean; user?: ReviewedUser; error?: string } }>('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
      timeoutMs: this.timeoutMs,
    });
    const status = review?.status;
    if (!status?.authenticated || typeof status.user?.username !== 'string') return { error: typeof status?.error === 'string' ? status.error.slice(0, 200) : '' };
    return { user: status.user };
  }

  async authorize(user: ReviewedUser, verb: string, path: string): Promise<{ allowed: boolean; reason?: string }> {
    const review = await this.api.request<{ status?: { allowed?: boolean; reason?: string } }>('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: { user: user.username, uid: user.uid, groups: user.groups, extra: user.extra, nonResourceAttributes: { path, verb } },
      },
      timeoutMs: this.timeoutMs,
    });
    return { allowed: review?.status?.allowed === true, reason: typeof review?.status?.reason === 'string' && review.status.reason ? review.status.reason.slice(0, 200) : undefined };
  }
}
