/**
 * The dashboard panel (one per window): a webview that loads only dist/media/ (localResourceRoots),
 * gets a fresh fleet snapshot whenever the fleet model changes (coalesced), and hands every message
 * to DashboardController. `registerDashboard` is the one call extension.ts makes.
 */
import * as vscode from 'vscode';
import type { HostMessage, ProfileRef, WebviewMessage, ProfileValidator } from '@kplane/media';
import { clusterOf, profileOf } from '../commands/nodeArgs.js';
import type { ByteBoundedList } from '../byteBounded.js';
import { validateProfile } from '@kplane/profile';
import { DashboardController, messageHistory } from './dashboardController.js';
import { dashboardHtml, makeNonce } from './dashboardHtml.js';
import { fleetSnapshot, type FleetReader } from './fleetSnapshot.js';
import type { ProfileHttp, ProfileValuesStore } from '@kplane/plane/cluster';

export interface DashboardDeps {
  fleet: FleetReader & { onChange(listener: (ids: string[]) => void): () => void };
  /** Starts watching the fleet if it is not yet (the fleet starts lazily; the dashboard needs it). */
  start?: () => void;
  store: ProfileValuesStore;
  validate: ProfileValidator;
  log: vscode.LogOutputChannel;
}

/**
 * What `kplane.openDashboard` resolves to. The VS Code tests drive the panel through it, over the
 * same message path the webview uses; users never see it.
 */
export interface DashboardHandle {
  readonly panel: vscode.WebviewPanel;
  /** Delivers a message as if the webview had posted it (parsed and validated like one). */
  receive(raw: unknown): Promise<void>;
  /** Resolves with the first host→webview message matching, including ones already sent. */
  sent(match: (m: HostMessage) => boolean, timeoutMs: number): Promise<HostMessage>;
  /** Resolves with the first valid webview→host message matching, including ones already received. */
  received(match: (m: WebviewMessage) => boolean, timeoutMs: number): Promise<WebviewMessage>;
  /** Opens a cluster's page. */
  showCluster(context: string): void;
  /** Opens the values editor of a profile on a cluster. */
  showValues(ref: ProfileRef): void;
}

/** The one call extension.ts makes: the dashboard over the extension's FleetService. */
export function registerFleetDashboard(
  context: vscode.ExtensionContext,
  // The slice of extension/src/fleetService.ts's FleetService the dashboard uses.
  service: { model: DashboardDeps['fleet']; client(id: string): ProfileHttp | undefined; ensureStarted(): void },
  log: vscode.LogOutputChannel,
  // @kplane/plane/cluster (extension/src/runtime.ts), loaded on first use: not at activation.
  loadRuntime: () => Promise<Pick<typeof import('@kplane/plane/cluster'), 'kubeProfileStore'>>,
): { open(): DashboardHandle } {
  let loaded: Promise<ProfileValuesStore> | undefined;
  const store = () => (loaded ??= loadRuntime().then((r) => r.kubeProfileStore((id) => service.client(id), 'add it with "kplane: Add Clusters from Kubeconfig…"')));
  return registerDashboard(context, {
    fleet: service.model,
    start: () => service.ensureStarted(),
    store: {
      read: async (ref) => (await store()).read(ref),
      applyValues: async (base, ref, values) => (await store()).applyValues(base, ref, values),
    },
    validate: validateProfile,
    log,
  });
}

/**
 * Coalesces fleet changes: at most one snapshot per this many ms, longer for a large fleet, where
 * each snapshot is bigger and status changes arrive all the time.
 */
const snapshotDelayMs = (clusters: number) => (clusters > 100 ? 1000 : 200);


export function registerDashboard(context: vscode.ExtensionContext, deps: DashboardDeps): { open(): DashboardHandle } {
  let current: DashboardHandle | undefined;
  const open = (): DashboardHandle => {
    if (current) {
      current.panel.reveal();
      return current;
    }
    deps.start?.();
    current = createPanel(context, deps);
    current.panel.onDidDispose(() => (current = undefined));
    return current;
  };
  context.subscriptions.push(
    // From a tree node's menu the argument is the node; from the palette or status bar, nothing.
    vscode.commands.registerCommand('kplane.openDashboard', (node?: unknown) => {
      const handle = open();
      const cluster = clusterOf(node);
      if (cluster) handle.showCluster(cluster);
      return handle;
    }),
    vscode.commands.registerCommand('kplane.editValues', (node?: unknown) => {
      const profile = profileOf(node);
      if (!profile) {
        void vscode.window.showErrorMessage('kplane: Edit Values… needs a profile: run it from a profile under a cluster in the Fleet view.');
        return undefined;
      }
      const handle = open();
      handle.showValues({ context: profile.cluster, namespace: profile.namespace, name: profile.name });
      return handle;
    }),
  );
  return { open };
}

function createPanel(context: vscode.ExtensionContext, deps: DashboardDeps): DashboardHandle {
  const mediaRoot = vscode.Uri.joinPath(context.extensionUri, 'dist', 'media');
  const panel = vscode.window.createWebviewPanel('kplane.dashboard', 'kplane Fleet', vscode.ViewColumn.Active, {
    enableScripts: true,
    localResourceRoots: [mediaRoot],
    // Keeps the Monaco editor and its unsaved text when the tab is hidden.
    retainContextWhenHidden: true,
  });
  const webview = panel.webview;
  const asset = (file: string) => webview.asWebviewUri(vscode.Uri.joinPath(mediaRoot, file)).toString();
  webview.html = dashboardHtml(
    { cspSource: webview.cspSource, script: asset('dashboard.js'), style: asset('dashboard.css'), editorWorker: asset('editor.worker.js'), yamlWorker: asset('yaml.worker.js') },
    makeNonce(),
  );

  const sentLog = messageHistory<HostMessage>();
  const receivedLog = messageHistory<WebviewMessage>();
  const waiters = new Set<() => void>();
  const remember = <T>(log: ByteBoundedList<T>, m: T) => {
    log.push(m);
    for (const w of [...waiters]) w();
  };
  const post = (m: HostMessage) => {
    remember(sentLog, m);
    void webview.postMessage(m);
  };
  const sendSnapshot = () => post({ type: 'snapshot', snapshot: fleetSnapshot(deps.fleet, new Date()) });

  let ready = false;
  /** What to show once the webview is ready (a command may open the panel and navigate at once). */
  let pending: HostMessage | undefined;
  const controller = new DashboardController({
    post,
    store: deps.store,
    validate: deps.validate,
    log: deps.log,
    onReady: () => {
      ready = true;
      sendSnapshot();
      if (pending) post(pending);
      pending = undefined;
    },
    observe: (m) => remember(receivedLog, m),
  });

  let timer: ReturnType<typeof setTimeout> | undefined;
  const unsubscribe = deps.fleet.onChange(() => {
    if (!ready || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      sendSnapshot();
    }, snapshotDelayMs(deps.fleet.list().length));
  });
  const subscriptions = [webview.onDidReceiveMessage((raw) => controller.receive(raw))];
  panel.onDidDispose(() => {
    unsubscribe();
    if (timer) clearTimeout(timer);
    for (const s of subscriptions) s.dispose();
  });
  context.subscriptions.push(panel);

  const navigate = (m: HostMessage) => {
    if (ready) post(m);
    else pending = m;
  };

  const waitIn = <T>(log: ByteBoundedList<T>, match: (m: T) => boolean, timeoutMs: number, what: string) =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const found = log.find(match);
        if (!found) return false;
        waiters.delete(check);
        clearTimeout(deadline);
        resolve(found);
        return true;
      };
      const deadline = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`dashboard: no matching ${what} message within ${timeoutMs} ms; last ones: ${JSON.stringify(log.last(3)).slice(0, 500)}`));
      }, timeoutMs);
      if (!check()) waiters.add(check);
    });

  return {
    panel,
    receive: (raw) => controller.receive(raw),
    sent: (match, timeoutMs) => waitIn(sentLog, match, timeoutMs, 'host→webview'),
    received: (match, timeoutMs) => waitIn(receivedLog, match, timeoutMs, 'webview→host'),
    showCluster: (id) => navigate({ type: 'showCluster', context: id }),
    showValues: (ref) => navigate({ type: 'showValues', ref }),
  };
}
