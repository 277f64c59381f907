/** The status bar summary, "kplane 12 ✓ 2 ⚠ 1 ✗", opening the dashboard. */
import * as vscode from 'vscode';
import type { FleetService } from './fleetService.js';

export function createStatusBar(fleet: FleetService): vscode.Disposable & { text(): string } {
  const item = vscode.window.createStatusBarItem('kplane.fleet', vscode.StatusBarAlignment.Left, 50);
  item.name = 'kplane fleet';
  item.command = 'kplane.openDashboard';
  let timer: ReturnType<typeof setTimeout> | undefined;
  const render = () => {
    timer = undefined;
    const s = fleet.model.summary();
    item.text = `$(server-environment) kplane ${s.ok} ✓ ${s.warn} ⚠ ${s.bad} ✗`;
    const lines = Object.entries(s.byState)
      .filter(([, n]) => n > 0)
      .map(([state, n]) => `${state}: ${n}`);
    item.tooltip = `kplane fleet: ${s.total} cluster(s)\n${lines.join('\n')}\n\nClick to open the dashboard.`;
    item.backgroundColor = s.bad ? new vscode.ThemeColor('statusBarItem.errorBackground') : s.warn ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
  };
  item.text = '$(server-environment) kplane';
  item.tooltip = 'kplane: open the Fleet view or the dashboard to start watching clusters';
  item.show();
  const unsubscribe = fleet.model.onChange(() => (timer ??= setTimeout(render, 250)));
  const started = fleet.onDidStart(render);
  return {
    text: () => item.text,
    dispose() {
      unsubscribe();
      started.dispose();
      if (timer) clearTimeout(timer);
      item.dispose();
    },
  };
}
