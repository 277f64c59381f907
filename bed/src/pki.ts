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

export async function makePki(dir: string): Promise<Pki> {
  await mkdir(dir, { recursive: true });
  const p = (name: string): string => join(dir, name);
  // The CA first; the two leaf certificates are then signed by it in parallel.
  await openssl(['req', '-x509', ...ecKey, '-keyout', p('ca.key'), '-out', p('ca.crt'), '-days', '3650', '-subj', '/CN=kplane-bed-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature']);
  const leaf = (name: string, subj: string, ext: string[]): Promise<void> =>
    openssl(['req', '-x509', ...ecKey, '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-keyout', p(`${name}.key`), '-out', p(`${name}.crt`), '-days', '365', '-subj', subj,
      '-addext', 'basicConstraints=critical,CA:FALSE', '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment', ...ext.flatMap((e) => ['-addext', e])]);
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
