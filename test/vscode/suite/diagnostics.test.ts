/**
 * The language server inside a real VS Code host: a profile with mistakes opened in the editor
 * shows kplane's diagnostics on the right ranges, and a quick fix repairs one of them.
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { codeOf, kplaneDiagnostics } from './diagnosticsWait.js';

const FIXTURE = join('test', 'fixtures', 'profiles', 'invalid', 'mistakes.profile.yaml');
const DEADLINE_MS = 60_000;

describe('kplane language server in a real VS Code host', () => {
  let uri: vscode.Uri;
  let text: string;

  before(async () => {
    const extension = vscode.extensions.getExtension('kplane.kplane');
    assert.ok(extension, 'kplane.kplane is not loaded');
    await extension.activate();
    text = readFileSync(join(extension.extensionPath, FIXTURE), 'utf8');
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'no workspace folder is open');
    uri = vscode.Uri.joinPath(folder.uri, 'mistakes.profile.yaml');
    await vscode.workspace.fs.writeFile(uri, Buffer.from(text));
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.fs.delete(uri).then(undefined, () => undefined);
  });

  it('shows the profile\'s mistakes with their codes, on their ranges', async () => {
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document);
    const diagnostics = await kplaneDiagnostics(uri, (d) => d.some((x) => codeOf(x) === 'UNDECLARED_VARIABLE'), 'kplane diagnostics for mistakes.profile.yaml', DEADLINE_MS);
    const codes = diagnostics.map(codeOf).sort();
    for (const expected of ['DEPENDS_ON_SELF', 'DUPLICATE_LAYER', 'INVALID_DEFAULT', 'INVALID_DURATION', 'INVALID_ENUM_VALUE', 'INVALID_METRIC', 'SCALING_RANGE', 'SCALING_TARGET_NOT_FOUND', 'UNDECLARED_VARIABLE', 'UNKNOWN_LAYER', 'UNUSED_VARIABLE', 'WRONG_TYPE']) {
      assert.ok(codes.includes(expected), `${expected} missing from ${codes.join(', ')}`);
    }
    const undeclared = diagnostics.find((d) => codeOf(d) === 'UNDECLARED_VARIABLE')!;
    assert.equal(document.getText(undeclared.range), '${tag}');
    assert.equal(undeclared.severity, vscode.DiagnosticSeverity.Error);
    const unknownLayer = diagnostics.find((d) => codeOf(d) === 'UNKNOWN_LAYER')!;
    assert.equal(document.getText(unknownLayer.range), 'cache');
    const unused = diagnostics.find((d) => codeOf(d) === 'UNUSED_VARIABLE')!;
    assert.equal(unused.severity, vscode.DiagnosticSeverity.Warning);
  });

  it('a quick fix declares the undeclared variable, and its diagnostic goes away', async () => {
    const undeclared = vscode.languages.getDiagnostics(uri).find((d) => codeOf(d) === 'UNDECLARED_VARIABLE');
    assert.ok(undeclared, 'no UNDECLARED_VARIABLE diagnostic to fix');
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, undeclared.range, vscode.CodeActionKind.QuickFix.value);
    const declare = actions.find((a) => a.title === 'Declare variable "tag" under spec.variables');
    assert.ok(declare?.edit, `no declare quick fix among: ${actions.map((a) => a.title).join(', ')}`);
    assert.ok(await vscode.workspace.applyEdit(declare.edit), 'the quick fix edit was not applied');
    const after = await kplaneDiagnostics(uri, (d) => d.length > 0 && !d.some((x) => codeOf(x) === 'UNDECLARED_VARIABLE'), 'diagnostics without UNDECLARED_VARIABLE', DEADLINE_MS);
    assert.ok(after.some((d) => codeOf(d) === 'UNKNOWN_LAYER'), 'the other mistakes should still be reported');
    const document = await vscode.workspace.openTextDocument(uri);
    assert.match(document.getText(), /\n {4}- name: tag\n {6}type: string\n/);
  });
});
