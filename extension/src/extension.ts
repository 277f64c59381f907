/**
 * The kplane extension's entry point: thin on purpose. Everything it creates is pushed to
 * context.subscriptions.
 */
import * as vscode from 'vscode';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('kplane', { log: true });
  context.subscriptions.push(log);
  context.subscriptions.push(
    vscode.commands.registerCommand('kplane.refresh', () => {
      log.info('refresh requested');
      return true;
    }),
  );
  log.info('kplane activated');
}

export function deactivate(): void {}
