/**
 * What the agent reads from its hub token to renew it in time (../hub/hubToken.ts does the
 * renewing): pure, no clock of its own.
 */
import { parse, stringify } from 'yaml';

const DAY_MS = 24 * 3600_000;
/** The API server refuses TokenRequests for less (k8s pkg/apis/authentication/validation: 10 minutes). */
export const MIN_TOKEN_SECONDS = 600;

export interface TokenClaims {
  /** Seconds since the epoch. */
  issuedAt: number;
  expiresAt: number;
  namespace: string;
  serviceAccount: string;
}

/**
 * The claims kplane needs from a service-account JWT, read without verifying it (the hub does
 * that); undefined for a token that is not a service-account JWT with iat and exp (a legacy
 * token without expiry, or a static one): there is nothing to renew.
 */
export function tokenClaims(token: string): TokenClaims | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  let payload: { iat?: unknown; exp?: unknown; sub?: unknown };
  try {
    payload = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as typeof payload;
  } catch {
    return undefined;
  }
  const sub = typeof payload.sub === 'string' ? /^system:serviceaccount:([^:]+):([^:]+)$/.exec(payload.sub) : null;
  if (typeof payload.iat !== 'number' || typeof payload.exp !== 'number' || payload.exp <= payload.iat || !sub) return undefined;
  return { issuedAt: payload.iat, expiresAt: payload.exp, namespace: sub[1], serviceAccount: sub[2] };
}

/** When (ms since the epoch) to renew a token with these claims. */
export function renewTime(claims: TokenClaims, renewAfterMs?: number): number {
  const lifetimeMs = (claims.expiresAt - claims.issuedAt) * 1000;
  return claims.issuedAt * 1000 + Math.min(renewAfterMs ?? Math.min(lifetimeMs * 0.8, DAY_MS), lifetimeMs * 0.8);
}

/** The kubeconfig `text` with its current user's token replaced; throws when it has no token user. */
export function withToken(text: string, token: string): string {
  const doc = parse(text) as { users?: { name: string; user?: { token?: string } }[]; contexts?: { name: string; context?: { user?: string } }[]; 'current-context'?: string };
  const contextName = doc['current-context'] ?? doc.contexts?.[0]?.name;
  const userName = doc.contexts?.find((c) => c.name === contextName)?.context?.user;
  const user = doc.users?.find((u) => u.name === userName)?.user;
  if (!user || typeof user.token !== 'string') throw new Error('the hub kubeconfig has no token user to renew');
  user.token = token;
  return stringify(doc);
}
