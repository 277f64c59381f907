/** Waiting on kplane's diagnostics from VS Code-host tests: on their change events, never by polling. */
import * as vscode from 'vscode';

/** A diagnostic's code as a string (the server sends some with a link: `{ value, target }`). */
export function codeOf(d: vscode.Diagnostic): string {
  return String(typeof d.code === 'object' ? d.code.value : d.code);
}

/** Resolves with the document's kplane diagnostics once `ready` accepts them; rejects after `deadlineMs`. */
export function kplaneDiagnostics(uri: vscode.Uri, ready: (d: vscode.Diagnostic[]) => boolean, what: string, deadlineMs: number): Promise<vscode.Diagnostic[]> {
  const ours = () => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'kplane');
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!ready(ours())) return;
      subscription.dispose();
      clearTimeout(timer);
      resolve(ours());
    };
    const subscription = vscode.languages.onDidChangeDiagnostics((e) => e.uris.some((u) => u.toString() === uri.toString()) && check());
    const timer = setTimeout(() => {
      subscription.dispose();
      reject(new Error(`${what}: not seen within ${deadlineMs / 1000} s; now: ${JSON.stringify(ours().map((d) => `${codeOf(d)} ${d.message}`))}`));
    }, deadlineMs);
    check();
  });
}
