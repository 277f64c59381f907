/** Serves Show Drift's two sides (desired, live) as read-only documents; nothing touches disk. */
import * as vscode from 'vscode';

export const DRIFT_SCHEME = 'kplane-drift';

export class DriftContentProvider implements vscode.TextDocumentContentProvider {
  private readonly contents = new Map<string, string>();

  set(uri: vscode.Uri, text: string): void {
    this.contents.set(uri.toString(), text);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? '# no longer available: run Show Drift again\n';
  }
}
