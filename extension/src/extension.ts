/**
 * The kplane extension's entry point: thin on purpose. It wires views, commands and the status bar
 * to one FleetService; everything it creates is pushed to context.subscriptions. No cluster I/O
 * happens here: the fleet starts when a view is shown or a command needs it.
 */
import * as vscode from 'vscode';
import type { ApplyOptions } from './commands/applyProfileCommand.js';
import type { HubJoinOptions, HubLeaveOptions } from './commands/hubCommands.js';
import { clusterOf } from './commands/nodeArgs.js';
import { DRIFT_SCHEME, DriftContentProvider } from './driftContentProvider.js';
import { FleetService, UNTRUSTED_WORKSPACE, readSettings } from './fleetService.js';
import { vscodeHost, type Host } from './host.js';
import { ProfileCodeLensProvider } from './profileCodeLens.js';
import { createStatusBar } from './statusBar.js';
import { FleetTreeProvider } from './views/fleetTreeProvider.js';
import { ProfileTreeProvider } from './views/profileTreeProvider.js';
import { registerFleetDashboard } from './webview/dashboardPanel.js';
import { RENDER_SCHEME, RenderedLayerProvider } from './commands/renderLayerCommand.js';
import type { LanguageClient } from 'vscode-languageclient/node';
import { CHECKED_AGAINST_COMMAND } from '@kplane/language-server/protocol';
import { LiveSchemaFeed, showCheckedAgainst } from './liveSchemaFeed.js';

/** What activate() returns: for the VS Code tests and the benchmark, not for users. */
export interface KplaneApi {
  fleet: FleetService;
  fleetTree: FleetTreeProvider;
  profileTree: ProfileTreeProvider;
  /** Milliseconds activate() took (wall clock). */
  activationMs: number;
  /** Whether activate() itself started watching clusters (it must not: the views start it). */
  startedDuringActivation: boolean;
  /** CPU milliseconds activate() used: on a busy machine the wall clock mostly measures waiting. */
  activationCpuMs: number;
  /** Replaces the dialogs' host (tests answer prompts without a UI). */
  setHost(host: Host): void;
  /** The status bar item's current text. */
  statusBarText(): string;
  /** The live schemas fed to the language server. */
  schemaFeed: LiveSchemaFeed;
}

export function activate(context: vscode.ExtensionContext): KplaneApi {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const log = vscode.window.createOutputChannel('kplane', { log: true });
  const fleet = new FleetService({
    log,
    readSettings: () => readSettings(vscode.workspace.getConfiguration('kplane')),
    trust: { get isTrusted() { return vscode.workspace.isTrusted; }, onDidGrant: (listener) => vscode.workspace.onDidGrantWorkspaceTrust(listener) },
    loadRuntime: () => import('./runtime.js'),
  });
  const fleetTree = new FleetTreeProvider(fleet);
  const profileTree = new ProfileTreeProvider(fleet, context.asAbsolutePath('dist/profileScanWorker.js'), (message) => log.warn(message));
  const drift = new DriftContentProvider();
  const statusBar = createStatusBar(fleet);
  let host: Host = vscodeHost;
  const rendered = new RenderedLayerProvider();
  let languageClient: Promise<LanguageClient | undefined> = Promise.resolve(undefined);
  const command = (id: string, run: (...args: any[]) => unknown) => vscode.commands.registerCommand(id, run);
  // Command modules load the Kubernetes client; they are imported on first use, after the fleet
  // is ready. In an untrusted workspace a command that would reach a cluster says why it does not.
  const commands = async () => {
    if (!fleet.trusted) {
      void host.error(UNTRUSTED_WORKSPACE);
      return undefined;
    }
    await fleet.ready();
    return import('./runtime.js');
  };

  context.subscriptions.push(
    log,
    fleet,
    fleetTree,
    profileTree,
    vscode.window.createTreeView('kplane.fleet', { treeDataProvider: fleetTree, showCollapseAll: true }),
    vscode.window.createTreeView('kplane.profiles', { treeDataProvider: profileTree }),
    vscode.workspace.registerTextDocumentContentProvider(DRIFT_SCHEME, drift),
    vscode.workspace.onDidCloseTextDocument((d) => d.uri.scheme === DRIFT_SCHEME && drift.forget(d.uri)),
    rendered,
    vscode.workspace.registerTextDocumentContentProvider(RENDER_SCHEME, rendered),
    command('kplane.renderLayer', async (arg?: unknown, layer?: string) => (await import('./commands/renderLayerCommand.js')).renderLayerCommand(await languageClient, host, rendered, arg, layer)),
    vscode.languages.registerCodeLensProvider({ language: 'yaml', pattern: '**/*.{yaml,yml}' }, new ProfileCodeLensProvider()),
    statusBar,
    command('kplane.applyProfile', async (arg?: unknown, options?: ApplyOptions) => (await commands())?.applyProfileCommand(fleet, host, log, arg, options)),
    command('kplane.pauseReconciliation', async (arg: unknown) => (await commands())?.setPausedCommand(fleet, host, arg, true)),
    command('kplane.resumeReconciliation', async (arg: unknown) => (await commands())?.setPausedCommand(fleet, host, arg, false)),
    command('kplane.removeProfile', async (arg: unknown, options?: { yes?: boolean }) => (await commands())?.removeProfileCommand(fleet, host, arg, options)),
    command('kplane.installAgent', async (arg?: unknown) => (await commands())?.installAgentCommand(fleet, host, log, context.extensionPath, arg)),
    command('kplane.showDrift', async (arg: unknown) => (await commands())?.showDriftCommand(fleet, host, drift, arg)),
    command('kplane.diffProfile', async (arg?: unknown, cluster?: string) => (await commands())?.diffProfileCommand(fleet, host, drift, arg, cluster)),
    command('kplane.openStatus', async (arg: unknown) => (await commands())?.openStatusCommand(fleet, host, arg)),
    command('kplane.refresh', (arg?: unknown) => {
      fleet.refresh(clusterOf(arg));
      return true;
    }),
    command('kplane.addClusters', async () => (await commands())?.addClustersCommand(fleet, host)),
    command('kplane.hubJoin', async (options?: HubJoinOptions) => (await commands())?.hubJoinCommand(fleet, host, options)),
    command('kplane.hubLeave', async (options?: HubLeaveOptions) => (await commands())?.hubLeaveCommand(fleet, host, options)),
    command('kplane.exportReport', async (options?: { format?: 'markdown' | 'json'; path?: string }) => (await commands())?.exportReportCommand(fleet, host, options)),
    command('kplane.showLog', () => log.show()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (fleet.started && (e.affectsConfiguration('kplane.fleet') || e.affectsConfiguration('kplane.watch') || e.affectsConfiguration('kplane.staleThresholdMultiplier'))) void fleet.restart();
    }),
  );
  registerFleetDashboard(context, fleet, log, () => import('./runtime.js'));
  languageClient = import('./languageClient.js')
    .then(({ startLanguageClient }) => startLanguageClient(context, () => schemaFeed.resend(), (params) => schemaFeed.rendered(params)))
    .catch((err: unknown) => {
      log.error(`kplane language server did not start: ${String(err)}`);
      return undefined;
    });
  // Schemas are kept in the extension's global storage (per machine), not in the workspace.
  const schemaFeed = new LiveSchemaFeed(fleet, () => languageClient, log, context.globalStorageUri.scheme === 'file' ? vscode.Uri.joinPath(context.globalStorageUri, 'schemas').fsPath : undefined);
  context.subscriptions.push(schemaFeed, command(CHECKED_AGAINST_COMMAND, (uri?: unknown, lines?: unknown) => showCheckedAgainst(uri, lines)));

  const activationMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const activationCpuMs = (used.user + used.system) / 1000;
  log.info(`kplane activated in ${activationMs.toFixed(1)} ms (${activationCpuMs.toFixed(1)} ms CPU)`);
  return { fleet, fleetTree, profileTree, activationMs, activationCpuMs, startedDuringActivation: fleet.started, setHost: (h) => (host = h), statusBarText: () => statusBar.text(), schemaFeed };
}

export function deactivate(): void {}
