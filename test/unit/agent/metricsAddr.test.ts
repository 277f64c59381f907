/**
 * The agent's health and metrics endpoint address (issue 10, finding 7): an IPv6 literal works
 * (`[::1]:port` failed), and with no host it listens on loopback out of cluster, every interface
 * only in a pod (the kubelet probes the pod's IP). Authentication in cluster is not done yet.
 */
import { strict as assert } from 'node:assert';
import { formatListenAddr, parseListenAddr } from '@kplane/agent';

describe('agent --metrics-addr', () => {
  it('no host: loopback out of cluster, every interface in a pod', () => {
    assert.deepEqual(parseListenAddr(':8080', false), { host: '127.0.0.1', port: 8080 });
    assert.deepEqual(parseListenAddr('8080', false), { host: '127.0.0.1', port: 8080 });
    assert.deepEqual(parseListenAddr(':8080', true), { host: '0.0.0.0', port: 8080 });
    assert.deepEqual(parseListenAddr('10.0.0.5:9090', true), { host: '10.0.0.5', port: 9090 });
  });

  it('IPv6 literals in brackets, and a clear error without them or with a bad port', () => {
    assert.deepEqual(parseListenAddr('[::1]:8080', false), { host: '::1', port: 8080 });
    assert.deepEqual(parseListenAddr('[::]:0', true), { host: '::', port: 0 });
    assert.equal(formatListenAddr('::1', 8080), '[::1]:8080');
    assert.equal(formatListenAddr('127.0.0.1', 8080), '127.0.0.1:8080');
    assert.match((parseListenAddr('::1:8080', false) as { error: string }).error, /an IPv6 address goes in brackets, e\.g\. \[::1\]:8080/);
    assert.match((parseListenAddr(':http', false) as { error: string }).error, /expected \[host\]:port/);
    assert.match((parseListenAddr(':70000', false) as { error: string }).error, /expected \[host\]:port/);
  });
});
