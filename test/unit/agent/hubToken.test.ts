import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { renewTime, tokenClaims, withToken } from '@kplane/agent/core';

/** A JWT of the shape kube-apiserver issues (header.payload.signature); the signature is not read. */
const jwt = (payload: Record<string, unknown>) => ['{"alg":"RS256"}', JSON.stringify(payload)].map((p) => Buffer.from(p).toString('base64url')).join('.') + '.c2ln';
const sa = { sub: 'system:serviceaccount:kplane-member-edge:kplane-agent' };

describe('agent core: hub token renewal times', () => {
  it('reads iat, exp and the ServiceAccount from a service-account token', () => {
    assert.deepEqual(tokenClaims(jwt({ ...sa, iat: 1000, exp: 1600 })), { issuedAt: 1000, expiresAt: 1600, namespace: 'kplane-member-edge', serviceAccount: 'kplane-agent' });
  });

  it('a token it cannot renew (no expiry, not a service account, not a JWT) gives undefined', () => {
    assert.equal(tokenClaims(jwt({ ...sa, iat: 1000 })), undefined);
    assert.equal(tokenClaims(jwt({ sub: 'alice', iat: 1000, exp: 2000 })), undefined);
    assert.equal(tokenClaims(jwt({ ...sa, iat: 2000, exp: 1000 })), undefined);
    assert.equal(tokenClaims('static-token-abc'), undefined);
    assert.equal(tokenClaims('a.%%%.c'), undefined);
  });

  it('renews at 80 % of the lifetime or after a day, whichever is first; --hub-token-renew earlier, never later than 80 %', () => {
    const tenMinutes = tokenClaims(jwt({ ...sa, iat: 1000, exp: 1600 }))!;
    assert.equal(renewTime(tenMinutes), 1000_000 + 480_000);
    const year = tokenClaims(jwt({ ...sa, iat: 1000, exp: 1000 + 365 * 86400 }))!;
    assert.equal(renewTime(year), 1000_000 + 86400_000);
    assert.equal(renewTime(tenMinutes, 20_000), 1000_000 + 20_000);
    assert.equal(renewTime(tenMinutes, 3600_000), 1000_000 + 480_000);
  });

  it('replaces the token of the current context\'s user only', () => {
    const text = `apiVersion: v1
kind: Config
clusters: [{ name: hub, cluster: { server: "https://hub:6443" } }]
users: [{ name: other, user: { token: keep } }, { name: kplane-agent, user: { token: old } }]
contexts: [{ name: hub, context: { cluster: hub, user: kplane-agent, namespace: kplane-member-edge } }]
current-context: hub
`;
    const doc = parse(withToken(text, 'new'));
    assert.deepEqual(doc.users.map((u: { user: { token: string } }) => u.user.token), ['keep', 'new']);
    assert.equal(doc.contexts[0].context.namespace, 'kplane-member-edge');
    assert.throws(() => withToken(text.replace('token: old', 'client-certificate-data: Zm9v'), 'new'), /no token user/);
  });
});
