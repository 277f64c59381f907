/**
 * The bundled language server (dist/server.js) over stdio, as VS Code drives it: a client that
 * pulls diagnostics (LSP 3.17) gets `unchanged` for a version already reported, a burst of edits
 * answered for the newest text, and never a pushed diagnostic. Clients that cannot pull:
 * ./pushDiagnostics.test.ts.
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { repoRoot } from '../../fixtures/paths.js';
import { ClusterSchemasNotification } from '@kplane/language-server/protocol';
import { VALID, edit } from './helpers.js';

interface Report {
  kind: 'full' | 'unchanged';
  resultId?: string;
  items?: { code: string; message: string }[];
}

describe('language server over stdio (dist/server.js)', () => {
  let child: ChildProcess;
  let connection: MessageConnection;
  const uri = 'file:///work/server-test.profile.yaml';
  let refreshes = 0;
  let pushes = 0;

  before(async function () {
    const server = join(repoRoot, 'dist', 'server.js');
    if (!existsSync(server)) throw new Error(`${server} is missing: run npm run build (npm test does).`);
    child = spawn(process.execPath, [server, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
    connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    connection.onRequest('workspace/diagnostic/refresh', () => {
      refreshes++;
      return null;
    });
    connection.onNotification('textDocument/publishDiagnostics', () => {
      pushes++;
    });
    connection.listen();
    const capabilities = { textDocument: { diagnostic: { dynamicRegistration: false } }, workspace: { diagnostics: { refreshSupport: true } } };
    const init = await connection.sendRequest<{ capabilities: Record<string, unknown> }>('initialize', { processId: process.pid, rootUri: null, capabilities });
    assert.ok(init.capabilities.diagnosticProvider, 'the server must offer pull diagnostics');
    connection.sendNotification('initialized', {});
  });

  after(async () => {
    await connection.sendRequest('shutdown').catch(() => undefined);
    connection.sendNotification('exit');
    connection.dispose();
    child.kill();
  });

  const pull = (previousResultId?: string) => connection.sendRequest<Report>('textDocument/diagnostic', { textDocument: { uri }, previousResultId });

  it('answers a pull with the document\'s diagnostics, then `unchanged` for the same version', async () => {
    connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text: edit(VALID, 'mode: enforce', 'mode: enforced') } });
    const first = await pull();
    assert.equal(first.kind, 'full');
    assert.deepEqual(first.items?.map((d) => d.code), ['INVALID_ENUM_VALUE']);
    const again = await pull(first.resultId);
    assert.deepEqual(again, { kind: 'unchanged', resultId: first.resultId });
  });

  it('after a burst of edits, reports on the newest text', async () => {
    for (let version = 2; version <= 6; version++) {
      connection.sendNotification('textDocument/didChange', {
        textDocument: { uri, version },
        contentChanges: [{ text: edit(VALID, 'minReplicas: 1', `minReplicas: ${10 + version}`) }],
      });
    }
    let report = await pull().catch((err: { code?: number }) => ({ kind: 'retry', code: err.code }) as unknown as Report);
    // A pull overtaken by an edit is answered with ServerCancelled (retrigger); the editor asks again.
    if (report.kind !== 'full') report = await pull();
    assert.equal(report.kind, 'full');
    assert.equal(report.items?.length, 1);
    assert.equal(report.items?.[0].code, 'SCALING_RANGE');
    assert.match(report.items?.[0].message ?? '', /minReplicas 16 is above maxReplicas 10/);
  });

  it('checks manifests against cluster schemas sent with kplane/clusterSchemas, and asks the editor to pull again', async () => {
    const text = edit(VALID, '                    image: "${image}"', '                    image: "${image}"\n                    imagePullPolicee: Always');
    connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 20 }, contentChanges: [{ text }] });
    // The built-in Kubernetes API finds it first; the cluster's own schema, once sent, speaks for the kind.
    assert.deepEqual((await pull()).items?.map((d) => d.code), ['MANIFEST_UNKNOWN_FIELD']);
    const container = { type: 'object', properties: { name: { type: 'string' }, image: { type: 'string' } } };
    const deployment = {
      type: 'object',
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        metadata: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        spec: { type: 'object', properties: { replicas: { type: 'integer' }, selector: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, template: { type: 'object', properties: { metadata: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, spec: { type: 'object', properties: { containers: { type: 'array', items: container } } } } } } },
      },
    };
    const before = refreshes;
    connection.sendNotification(ClusterSchemasNotification.method, { cluster: 'test', schemas: [{ apiVersion: 'apps/v1', kind: 'Deployment', schema: deployment }] });
    const report = await pull();
    assert.deepEqual(report.items?.map((d) => d.code), ['CLUSTER_UNKNOWN_FIELD']);
    // The server sent its refresh request before answering the pull, on the same stream.
    assert.ok(refreshes > before, 'the server should ask the editor to pull diagnostics again');
    connection.sendNotification(ClusterSchemasNotification.method, null);
    assert.deepEqual((await pull()).items?.map((d) => d.code), ['MANIFEST_UNKNOWN_FIELD']);
  });

  it('never pushes diagnostics to a client that pulls', async () => {
    connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 30 }, contentChanges: [{ text: edit(VALID, 'mode: enforce', 'mode: enforced') }] });
    assert.deepEqual((await pull()).items?.map((d) => d.code), ['INVALID_ENUM_VALUE']);
    connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
    // One more round trip: anything the server pushed for the change or the close is read by now.
    await connection.sendRequest('textDocument/documentSymbol', { textDocument: { uri } });
    assert.equal(pushes, 0);
    connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 31, text: VALID } });
  });

  it('answers completion and symbols on the open document', async () => {
    const symbols = await connection.sendRequest<{ name: string }[]>('textDocument/documentSymbol', { textDocument: { uri } });
    assert.equal(symbols[0].name, 'ClusterProfile edge');
    const line = VALID.split('\n').findIndex((l) => l.includes('mode: enforce'));
    const completion = await connection.sendRequest<{ items: { label: string }[] }>('textDocument/completion', { textDocument: { uri }, position: { line, character: '    mode: '.length } });
    assert.deepEqual(completion.items.map((i) => i.label).sort(), ['enforce', 'monitor']);
  });
});
