/**
 * A fleet, opened: kubeconfig read, contexts chosen, one watch per cluster running. The CLI and
 * the extension both start here.
 */
import { DEFAULT_NAMESPACE } from '@kplane/profile';
import { FleetModel } from '../fleet/fleetModel.js';
import { DEFAULT_STATE_OPTIONS, type StateOptions } from '../fleet/clusterState.js';
import { DEFAULT_WATCH_OPTIONS } from './clusterWatch.js';
import { FleetWatcher } from './fleetWatcher.js';
import { fleetContexts, insecureContextWarning, loadKubeconfig, type FleetContext } from './kubeconfigContexts.js';

export interface SessionOptions {
  /** KUBECONFIG-style list; empty = $KUBECONFIG or ~/.kube/config. */
  kubeconfig?: string;
  /** Context names; empty = every context of the kubeconfig (with `hubs` given: none). */
  contexts?: readonly string[];
  /** Hub contexts whose members join the fleet as `hub:<context>/<name>` (docs/hub.md). */
  hubs?: readonly string[];
  namespace?: string;
  requestTimeoutMs?: number;
  state?: StateOptions;
  log?: (level: 'info' | 'warn' | 'error' | 'debug', message: string) => void;
}

export interface FleetSession {
  model: FleetModel;
  watcher: FleetWatcher;
  contexts: FleetContext[];
  hubs: FleetContext[];
  /** Problems reading the kubeconfig or unknown context names, each naming what to fix. */
  errors: string[];
  /** Contexts used although they are unsafe (TLS not verified), each naming what to fix. */
  warnings: string[];
  dispose(): void;
}

export function openFleet(options: SessionOptions): FleetSession {
  const loaded = loadKubeconfig(options.kubeconfig);
  const hubNames = options.hubs ?? [];
  // With a hub and no contexts named, the fleet is the hub's members: every other context of the
  // kubeconfig is not assumed to be a member too.
  const direct = hubNames.length && !options.contexts?.length ? { contexts: [], unknown: [] } : fleetContexts(loaded.kubeConfig, options.contexts);
  const hubs = hubNames.length ? fleetContexts(loaded.kubeConfig, hubNames) : { contexts: [], unknown: [] };
  const { contexts } = direct;
  const unknown = [...direct.unknown, ...hubs.unknown];
  const errors = [...loaded.errors, ...unknown.map((name) => `context "${name}" is not in the kubeconfig (${loaded.files.join(', ') || 'default'}); check the name with "kubectl config get-contexts"`)];
  const model = new FleetModel(Date.now, options.state ?? DEFAULT_STATE_OPTIONS);
  const watcher = new FleetWatcher(model, {
    ...DEFAULT_WATCH_OPTIONS,
    namespace: options.namespace ?? DEFAULT_NAMESPACE,
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_WATCH_OPTIONS.requestTimeoutMs,
    ...(options.log ? { log: options.log } : {}),
  });
  watcher.setContexts(contexts);
  watcher.setHubs(hubs.contexts);
  const warnings = [...contexts, ...hubs.contexts].filter((c) => c.insecure).map(insecureContextWarning);
  for (const w of warnings) options.log?.('warn', w);
  return { model, watcher, contexts, hubs: hubs.contexts, errors, warnings, dispose: () => watcher.dispose() };
}
