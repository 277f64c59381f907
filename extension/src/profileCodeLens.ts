/**
 * CodeLens on profile files: one "Apply to clusters…" per file, above its first ClusterProfile
 * document (kplane.applyProfile applies every profile in the file, so one lens is enough).
 */
import * as vscode from 'vscode';

export class ProfileCodeLensProvider implements vscode.CodeLensProvider {
  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const lenses: vscode.CodeLens[] = [];
    const text = document.getText();
    const kind = /^kind:\s*ClusterProfile\s*$/gm;
    for (let m = kind.exec(text); m; m = kind.exec(text)) {
      // The lens sits on the document's first line (the `---` or apiVersion above `kind`).
      const start = Math.max(text.lastIndexOf('\n---', m.index) + 1, 0);
      const range = new vscode.Range(document.positionAt(start), document.positionAt(start));
      lenses.push(new vscode.CodeLens(range, { title: '$(cloud-upload) Apply to clusters…', command: 'kplane.applyProfile', arguments: [document.uri] }));
    }
    return lenses.slice(0, 1);
  }
}
