/**
 * One private CA per cluster, made with the openssl CLI (Node 20 cannot issue X.509
 * certificates). EC P-256 keys because they are generated in milliseconds, which matters when
 * tests start several clusters at once.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  /** Service-account token signing key pair (kube-apiserver signs, kcm's token controller too). */
  saKey: string;
  saPub: string;
  /** PEM contents, for kubeconfigs and HTTPS clients. */
  pem: { ca: string; adminCert: string; adminKey: string };
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args, { timeout: 30_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string; code?: string };
    const hint = e.code === 'ENOENT' ? ' The openssl CLI is needed (Debian: apt-get install openssl).' : '';
    throw new Error(`kplane bed: openssl ${args[0]} failed: ${(e.stderr ?? e.message).trim()}${hint}`);
  }
}

const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A leaf certificate `<dir>/<name>.{crt,key}` signed by the cluster's CA. */
function signLeaf(dir: string, name: string, subj: string, ext: string[]): Promise<void> {
  const p = (file: string): string => join(dir, file);
  return openssl(['req', '-x509', ...ecKey, '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-keyout', p(`${name}.key`), '-out', p(`${name}.crt`), '-days', '365', '-subj', subj,
    '-addext', 'basicConstraints=critical,CA:FALSE', '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment', ...ext.flatMap((e) => ['-addext', e])]);
}

/** Certificates of the metrics pipeline (`metrics: true`), signed by the same CA. */
export interface MetricsPki {
  /** kube-apiserver's client certificate towards aggregated APIs (CN=front-proxy-client). */
  frontProxyCert: string;
  frontProxyKey: string;
  /** metrics-server's serving certificate, for the name the aggregator verifies (metrics-server.kube-system.svc). */
  metricsServerCert: string;
  metricsServerKey: string;
  /** KWOK's serving certificate for its kubelet-like endpoints on 127.0.0.1 (metrics-server verifies it). */
  kwokCert: string;
  kwokKey: string;
}

export const FRONT_PROXY_CN = 'front-proxy-client';

export async function makeMetricsPki(pki: Pki): Promise<MetricsPki> {
  await Promise.all([
    signLeaf(pki.dir, 'front-proxy', `/CN=${FRONT_PROXY_CN}`, ['extendedKeyUsage=clientAuth']),
    signLeaf(pki.dir, 'metrics-server', '/CN=metrics-server', ['extendedKeyUsage=serverAuth',
      'subjectAltName=DNS:metrics-server.kube-system.svc,DNS:localhost,IP:127.0.0.1']),
    signLeaf(pki.dir, 'kwok', '/CN=kwok', ['extendedKeyUsage=serverAuth', 'subjectAltName=IP:127.0.0.1,DNS:localhost']),
  ]);
  const p = (file: string): string => join(pki.dir, file);
  return {
    frontProxyCert: p('front-proxy.crt'),
    frontProxyKey: p('front-proxy.key'),
    metricsServerCert: p('metrics-server.crt'),
    metricsServerKey: p('metrics-server.key'),
    kwokCert: p('kwok.crt'),
    kwokKey: p('kwok.key'),
  };
}

export async function makePki(dir: string): Promise<Pki> {
  await mkdir(dir, { recursive: true });
  const p = (name: string): string => join(dir, name);
  // The CA first; the two leaf certificates are then signed by it in parallel.
  await openssl(['req', '-x509', ...ecKey, '-keyout', p('ca.key'), '-out', p('ca.crt'), '-days', '3650', '-subj', '/CN=kplane-bed-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature']);
  const leaf = (name: string, subj: string, ext: string[]): Promise<void> => signLeaf(dir, name, subj, ext);
  await Promise.all([
    // The in-cluster names too, so a client that follows the `kubernetes` service would also verify.
    leaf('server', '/CN=kube-apiserver', ['extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.96.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local']),
    // O=system:masters: the admin bypasses RBAC, like kubeadm's admin.conf.
    leaf('admin', '/O=system:masters/CN=kplane-admin', ['extendedKeyUsage=clientAuth']),
  ]);
  const sa = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  await writeFile(p('sa.key'), sa.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  await writeFile(p('sa.pub'), sa.publicKey.export({ type: 'spki', format: 'pem' }));
  const [ca, adminCert, adminKey] = await Promise.all([readFile(p('ca.crt'), 'utf8'), readFile(p('admin.crt'), 'utf8'), readFile(p('admin.key'), 'utf8')]);
  return {
    dir,
    caCert: p('ca.crt'),
    caKey: p('ca.key'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    adminCert: p('admin.crt'),
    adminKey: p('admin.key'),
    saKey: p('sa.key'),
    saPub: p('sa.pub'),
    pem: { ca, adminCert, adminKey },
  };
}
