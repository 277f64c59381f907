/**
 * Commands on one cluster or one of its profiles: pause/resume, remove, install the agent, open
 * status as YAML, refresh; and on the fleet: add clusters, export the report. Each error names
 * the cluster and the next step.
 */
import * as vscode from 'vscode';
import { join } from 'node:path';
import { reportJson, reportMarkdown, statusDocument } from '@kplane/plane';
import { installAgent, readDeployManifests, fleetContexts, loadKubeconfig, removeProfile, setPaused } from '@kplane/plane/cluster';
import type { FleetService } from '../fleetService.js';
import type { Host } from '../host.js';
import { clusterOf, errorText, profileOf } from './nodeArgs.js';

export async function setPausedCommand(fleet: FleetService, host: Host, arg: unknown, paused: boolean): Promise<boolean> {
  const target = profileOf(arg);
  const verb = paused ? 'Pause' : 'Resume';
  if (!target) {
    void host.error(`${verb} Reconciliation: run it on a profile under a cluster in the kplane Fleet view.`);
    return false;
  }
  const client = fleet.client(target.cluster);
  if (!client) return false;
  try {
    await setPaused(client, target.namespace, target.name, paused, fleet.timeoutMs);
    void host.info(`${target.name} on ${target.cluster}: reconciliation ${paused ? 'paused' : 'resumed'}; the agent confirms in its status.`);
    return true;
  } catch (err) {
    void host.error(`${verb} ${target.name} on ${target.cluster} failed: ${errorText(err)}. Check the cluster is reachable (kplane: Refresh) and your rights to patch ClusterProfiles.`);
    return false;
  }
}

export async function removeProfileCommand(fleet: FleetService, host: Host, arg: unknown, options: { yes?: boolean } = {}): Promise<boolean> {
  const target = profileOf(arg);
  if (!target) {
    void host.error('Remove Profile: run it on a profile under a cluster in the kplane Fleet view.');
    return false;
  }
  if (!options.yes) {
    const answer = await host.confirm(
      `Remove ${target.name} from ${target.cluster}?`,
      'The ClusterProfile is deleted; the agent then removes what the profile applied (its finalizer) before the object goes away.',
      'Remove',
    );
    if (answer !== 'Remove') return false;
  }
  const client = fleet.client(target.cluster);
  if (!client) return false;
  try {
    await removeProfile(client, target.namespace, target.name, fleet.timeoutMs);
    void host.info(`${target.name} is being removed from ${target.cluster}.`);
    return true;
  } catch (err) {
    void host.error(`Removing ${target.name} from ${target.cluster} failed: ${errorText(err)}. Check the cluster is reachable and retry.`);
    return false;
  }
}

export async function installAgentCommand(fleet: FleetService, host: Host, log: vscode.LogOutputChannel, extensionPath: string, arg: unknown): Promise<boolean> {
  fleet.ensureStarted();
  let id = clusterOf(arg);
  if (!id) {
    const pick = await host.pickOne(
      fleet.model.list().map((v) => ({ label: v.id, description: `${v.state}${v.agentVersion ? ` · agent ${v.agentVersion}` : ''}` })),
      { title: 'Install or Upgrade Agent on…' },
    );
    id = pick?.label;
  }
  if (!id) return false;
  const context = fleet.context(id);
  if (!context && fleet.model.record(id)?.hub !== undefined) {
    void host.error(`Install Agent: ${id} is a member of hub ${fleet.model.record(id)!.hub}; kplane has no route to its API server. Install the agent on the member itself and join it with "kplane hub join".`);
    return false;
  }
  if (!context) {
    void host.error(`Install Agent: ${id} is not in the fleet; add its context with "Add Clusters from Kubeconfig…".`);
    return false;
  }
  const dir = join(extensionPath, 'agent', 'deploy');
  const { manifests, errors } = readDeployManifests(dir);
  if (errors.length || !manifests.length) {
    void host.error(`Install Agent: the agent manifests in ${dir} cannot be used: ${errors[0] ?? 'none found'}. Reinstall the extension.`);
    return false;
  }
  try {
    await host.progress(`kplane: installing the agent on ${id}`, async (progress) => {
      await installAgent(context.kubeConfig, manifests, (what) => progress.report({ message: what, increment: 100 / manifests.length }));
    });
    log.info(`${id}: applied ${manifests.length} agent manifest(s) from ${dir}`);
    fleet.refresh(id);
    void host.info(`Agent manifests applied to ${id}; the cluster turns Healthy once the agent writes its first heartbeat.`);
    return true;
  } catch (err) {
    log.error(`${id}: agent install failed: ${errorText(err)}`);
    void host.error(`Install Agent on ${id} failed: ${errorText(err)}. You need rights to create CRDs and RBAC (cluster-admin); check the kubeconfig user of ${id}.`);
    return false;
  }
}

export async function openStatusCommand(fleet: FleetService, host: Host, arg: unknown): Promise<vscode.TextDocument | undefined> {
  const id = clusterOf(arg);
  const record = id ? fleet.model.record(id) : undefined;
  if (!id || !record) {
    void host.error('Open Status as YAML: run it on a cluster or profile in the kplane Fleet view.');
    return undefined;
  }
  const profile = profileOf(arg);
  const objects = profile ? [record.profiles.get(`${profile.namespace}/${profile.name}`)] : [record.agent, ...record.profiles.values()];
  const body = objects
    .filter((o) => o !== undefined)
    // managedFields dropped, sensitive values masked (plane/src/fleet/secretViews.ts).
    .map((o) => statusDocument(o))
    .join('---\n');
  const view = fleet.model.get(id)!;
  const header = `# ${id}: ${view.state}${view.lastKnown ? ` (last known ${view.lastKnown})` : ''} — ${view.reason}\n# as last read by kplane${view.lastSeen ? `; last seen ${view.lastSeen}` : ''}\n`;
  const document = await vscode.workspace.openTextDocument({ language: 'yaml', content: header + (body || '# nothing known yet\n') });
  await vscode.window.showTextDocument(document, { preview: true });
  return document;
}

export async function exportReportCommand(fleet: FleetService, host: Host, options: { format?: 'markdown' | 'json'; path?: string } = {}): Promise<string | undefined> {
  fleet.ensureStarted();
  let format = options.format;
  if (!format) {
    const pick = await host.pickOne([{ label: 'Markdown', id: 'markdown' as const }, { label: 'JSON', id: 'json' as const }], { title: 'Export Fleet Report as…' });
    format = pick?.id;
  }
  if (!format) return undefined;
  const now = Date.now();
  const text = format === 'json' ? reportJson(fleet.model.list(), now) : reportMarkdown(fleet.model.list(), now);
  if (options.path) {
    await vscode.workspace.fs.writeFile(vscode.Uri.file(options.path), new TextEncoder().encode(text));
    return text;
  }
  const document = await vscode.workspace.openTextDocument({ language: format === 'json' ? 'json' : 'markdown', content: text });
  await vscode.window.showTextDocument(document);
  return text;
}

export async function addClustersCommand(fleet: FleetService, host: Host): Promise<boolean> {
  const config = vscode.workspace.getConfiguration('kplane');
  const source = await host.pickOne(
    [
      { label: '$(file) Current kubeconfig', description: config.get<string>('fleet.kubeconfig') || process.env.KUBECONFIG || '~/.kube/config', id: 'current' },
      { label: '$(folder-opened) Choose kubeconfig file(s)…', id: 'file' },
    ],
    { title: 'Add Clusters from Kubeconfig' },
  );
  if (!source) return false;
  let kubeconfig = config.get<string>('fleet.kubeconfig', '');
  if (source.id === 'file') {
    const files = await vscode.window.showOpenDialog({ canSelectMany: true, openLabel: 'Use kubeconfig', title: 'kubeconfig file(s)' });
    if (!files?.length) return false;
    kubeconfig = files.map((f) => f.fsPath).join(process.platform === 'win32' ? ';' : ':');
  }
  const loaded = loadKubeconfig(kubeconfig);
  if (loaded.errors.length) {
    void host.error(`Add Clusters: ${loaded.errors.join('; ')}`);
    return false;
  }
  const { contexts } = fleetContexts(loaded.kubeConfig);
  if (!contexts.length) {
    void host.error('Add Clusters: this kubeconfig has no contexts. Choose another file.');
    return false;
  }
  const current = new Set(config.get<string[]>('fleet.contexts', []));
  const picked = await host.pick(
    contexts.map((c) => ({ label: c.name, description: c.server, picked: current.size === 0 || current.has(c.name) })),
    { title: 'Clusters in the fleet (one per context)', canPickMany: true },
  );
  if (!picked) return false;
  const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await config.update('fleet.kubeconfig', kubeconfig, target);
  // Every context picked = follow the kubeconfig (an empty list), so new contexts join by themselves.
  await config.update('fleet.contexts', picked.length === contexts.length ? [] : picked.map((p) => p.label), target);
  // The configuration listener in extension.ts restarts the fleet with the new settings.
  return true;
}
