/**
 * The extension loads in a real VS Code host and its commands run. The host opened a copy of
 * test/fixtures/workspace, whose *.profile.yaml files match the manifest's activation event.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'kplane.kplane';

describe('kplane in a real VS Code host', () => {
  let extension: vscode.Extension<unknown>;

  before(async () => {
    const found = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(found, `${EXTENSION_ID} is not loaded: extensionDevelopmentPath must be the repository root (see test/vscode/runHost.ts)`);
    extension = found;
    await extension.activate();
  });

  it('opened the fixture workspace with its profiles', async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'no workspace folder is open');
    assert.equal(folder.uri.fsPath, process.env.KPLANE_TEST_WORKSPACE, 'the open folder is not the runner\'s copy of test/fixtures/workspace');
    const profiles = await vscode.workspace.findFiles('**/*.profile.yaml');
    assert.ok(profiles.length >= 2, `expected the fixture profiles, found ${profiles.map((uri) => uri.fsPath).join(', ') || 'none'}`);
  });

  it('activates', () => {
    assert.equal(extension.isActive, true);
  });

  it('registers every command its manifest contributes', async () => {
    const contributed = ((extension.packageJSON as { contributes?: { commands?: { command: string }[] } }).contributes?.commands ?? []).map((c) => c.command);
    assert.ok(contributed.length > 0, 'the manifest contributes no commands');
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(contributed.filter((id) => !registered.has(id)), [], 'contributed in package.json but not registered by activate()');
  });

  it('runs kplane.refresh', async () => {
    // executeCommand rejects when the command is unknown or its handler throws.
    await vscode.commands.executeCommand('kplane.refresh');
  });
});
