/**
 * `kplane-language-server --stdio` (the executable other editors start) driven by a client that
 * declares only LSP 3.16 capabilities, as many Neovim, Helix and Emacs setups do: no pull
 * diagnostics, so the server must push them (textDocument/publishDiagnostics), for the newest
 * text only, and clear them when the document closes.
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { repoRoot } from '../../fixtures/paths.js';
import { ClusterSchemasNotification } from '@kplane/language-server/protocol';
import { VALID, edit } from './helpers.js';
import { bigProfile, noise } from '../../fixtures/bigProfiles.js';

interface Push {
  uri: string;
  version?: number;
  diagnostics: { code: string; message: string; data?: unknown; range: unknown; severity?: number; source?: string }[];
}

/** What an LSP 3.16 client (no textDocument.diagnostic, no workspace.diagnostics) declares. */
const LSP_3_16_CAPABILITIES = {
  workspace: { applyEdit: true, configuration: true, workspaceFolders: true, didChangeConfiguration: { dynamicRegistration: false } },
  textDocument: {
    synchronization: { dynamicRegistration: false, willSave: false, didSave: true },
    publishDiagnostics: { relatedInformation: true, versionSupport: true, tagSupport: { valueSet: [1, 2] }, codeDescriptionSupport: true, dataSupport: true },
    completion: { completionItem: { snippetSupport: false } },
    hover: { contentFormat: ['markdown', 'plaintext'] },
    documentSymbol: { hierarchicalDocumentSymbolSupport: true },
    definition: {},
    codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix'] } }, dataSupport: true },
  },
  window: { workDoneProgress: true },
};

const bin = join(repoRoot, 'language-server', 'bin', 'kplane-language-server.js');

describe('kplane-language-server --stdio with an LSP 3.16 client (pushed diagnostics)', () => {
  let child: ChildProcess;
  let connection: MessageConnection;
  const uri = 'file:///work/push-test.profile.yaml';
  const pushes: Push[] = [];
  let waiters: { match: (p: Push) => boolean; resolve: (p: Push) => void }[] = [];

  /** The first push (already received or still to come) after `from` that matches. */
  const pushed = (match: (p: Push) => boolean, from = 0): Promise<Push> => {
    const known = pushes.slice(from).find(match);
    return known ? Promise.resolve(known) : new Promise((resolve) => waiters.push({ match, resolve }));
  };

  before(async function () {
    if (!existsSync(join(repoRoot, 'language-server', 'dist', 'server.cjs'))) throw new Error('language-server/dist/server.cjs is missing: run npm run build (npm test does).');
    child = spawn(process.execPath, [bin, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
    connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    connection.onNotification('textDocument/publishDiagnostics', (params: Push) => {
      pushes.push(params);
      const ready = waiters.filter((w) => w.match(params));
      waiters = waiters.filter((w) => !ready.includes(w));
      for (const w of ready) w.resolve(params);
    });
    connection.listen();
    const init = await connection.sendRequest<{ capabilities: Record<string, unknown>; serverInfo?: { name: string } }>('initialize', {
      processId: process.pid,
      rootUri: null,
      capabilities: LSP_3_16_CAPABILITIES,
    });
    assert.equal(init.serverInfo?.name, 'kplane-language-server');
    assert.equal(init.capabilities.diagnosticProvider, undefined, 'a client that cannot pull must not be offered pull diagnostics');
    connection.sendNotification('initialized', {});
  });

  after(async () => {
    await connection.sendRequest('shutdown').catch(() => undefined);
    connection.sendNotification('exit');
    connection.dispose();
    child.kill();
  });

  it('pushes the diagnostics of a bad profile when it opens', async () => {
    connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text: edit(VALID, 'mode: enforce', 'mode: enforced') } });
    const push = await pushed((p) => p.uri === uri);
    assert.equal(push.version, 1);
    assert.deepEqual(
      push.diagnostics.map((d) => [d.code, d.source]),
      [['INVALID_ENUM_VALUE', 'kplane']],
    );
    assert.match(push.diagnostics[0].message, /enforced/);
  });

  it('after a burst of edits, pushes for the newest text, never an older version after a newer one', async () => {
    const from = pushes.length;
    for (let version = 2; version <= 6; version++) {
      connection.sendNotification('textDocument/didChange', {
        textDocument: { uri, version },
        contentChanges: [{ text: edit(VALID, 'minReplicas: 1', `minReplicas: ${10 + version}`) }],
      });
    }
    const last = await pushed((p) => p.uri === uri && p.version === 6, from);
    assert.deepEqual(
      last.diagnostics.map((d) => d.code),
      ['SCALING_RANGE'],
    );
    assert.match(last.diagnostics[0].message, /minReplicas 16 is above maxReplicas 10/);
    const versions = pushes.slice(from).map((p) => p.version ?? 0);
    assert.deepEqual(versions, [...versions].sort((a, b) => a - b), `pushes out of order: ${versions.join(', ')}`);
  });

  it('pushes an empty list once the profile is fixed, and offers quick fixes for pushed diagnostics', async () => {
    let from = pushes.length;
    connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 7 }, contentChanges: [{ text: VALID }] });
    assert.deepEqual((await pushed((p) => p.uri === uri && p.version === 7, from)).diagnostics, []);

    from = pushes.length;
    const undeclared = edit(VALID, 'image: "${image}"', 'image: "${imag}"');
    connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 8 }, contentChanges: [{ text: undeclared }] });
    const push = await pushed((p) => p.uri === uri && p.version === 8, from);
    const diagnostic = push.diagnostics.find((d) => d.code === 'UNDECLARED_VARIABLE');
    assert.ok(diagnostic, `expected UNDECLARED_VARIABLE, got ${JSON.stringify(push.diagnostics.map((d) => d.code))}`);
    const actions = await connection.sendRequest<{ title: string }[]>('textDocument/codeAction', {
      textDocument: { uri },
      range: diagnostic.range,
      context: { diagnostics: [diagnostic] },
    });
    assert.deepEqual(
      actions.map((a) => a.title),
      ['Declare variable "imag" under spec.variables', 'Escape as $${imag} (keep the text)', 'Disable substitution for this object'],
    );
  });

  it('judges a big profile\'s stored size after the first push, and pushes again with PROFILE_TOO_LARGE', async function () {
    this.timeout(120_000);
    const big = 'file:///work/push-noise.profile.yaml';
    const from = pushes.length;
    connection.sendNotification('textDocument/didOpen', { textDocument: { uri: big, languageId: 'yaml', version: 1, text: stringify(bigProfile(400, (i) => noise(4000, i + 1))) } });
    const sizeCodes = (p: Push) => p.diagnostics.map((d) => d.code).filter((c) => c === 'PROFILE_TOO_LARGE' || c === 'PROFILE_NEAR_SIZE_LIMIT');
    const first = await pushed((p) => p.uri === big && p.version === 1, from);
    assert.deepEqual(sizeCodes(first), [], 'the first push must not wait for the compression of 1.6 MB');
    // Other pushes of the same text may come between (settings, schemas): the one with a size finding ends it.
    const later = await pushed((p) => p.uri === big && p.version === 1 && sizeCodes(p).length > 0, pushes.indexOf(first) + 1);
    assert.deepEqual(sizeCodes(later), ['PROFILE_TOO_LARGE']);
    connection.sendNotification('textDocument/didClose', { textDocument: { uri: big } });
  });

  it('pushes again for open documents when cluster schemas arrive', async () => {
    const text = edit(VALID, '                    image: "${image}"', '                    image: "${image}"\n                    imagePullPolicee: Always');
    let from = pushes.length;
    connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 9 }, contentChanges: [{ text }] });
    // The built-in Kubernetes API finds it first; the cluster's own schema, once sent, speaks for the kind.
    assert.deepEqual((await pushed((p) => p.uri === uri && p.version === 9, from)).diagnostics.map((d) => d.code), ['MANIFEST_UNKNOWN_FIELD']);
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
    from = pushes.length;
    connection.sendNotification(ClusterSchemasNotification.method, { cluster: 'test', schemas: [{ apiVersion: 'apps/v1', kind: 'Deployment', schema: deployment }] });
    const push = await pushed((p) => p.uri === uri, from);
    assert.equal(push.version, 9);
    assert.deepEqual(
      push.diagnostics.map((d) => d.code),
      ['CLUSTER_UNKNOWN_FIELD'],
    );
    from = pushes.length;
    connection.sendNotification(ClusterSchemasNotification.method, null);
    assert.deepEqual((await pushed((p) => p.uri === uri, from)).diagnostics.map((d) => d.code), ['MANIFEST_UNKNOWN_FIELD']);
  });

  it('clears the diagnostics of a closed document', async () => {
    let from = pushes.length;
    connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 10 }, contentChanges: [{ text: edit(VALID, 'mode: enforce', 'mode: enforced') }] });
    assert.equal((await pushed((p) => p.uri === uri && p.version === 10, from)).diagnostics.length, 1);
    from = pushes.length;
    connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
    const cleared = await pushed((p) => p.uri === uri, from);
    assert.deepEqual(cleared.diagnostics, []);
  });
});

describe('kplane-language-server command line', () => {
  it('without a transport, says how to start it and exits 2', () => {
    const run = spawnSync(process.execPath, [bin], { encoding: 'utf8' });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /name a transport, e\.g\. --stdio/);
    assert.match(run.stderr, /Usage: kplane-language-server --stdio/);
  });

  it('--help prints the usage and exits 0', () => {
    const run = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    assert.equal(run.status, 0);
    assert.match(run.stdout, /Usage: kplane-language-server --stdio/);
  });
});
