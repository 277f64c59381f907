/**
 * The Profiles view: the workspace's profile files (*.profile.yaml, and YAML files holding a
 * ClusterProfile), each with the clusters that run it and the version they run.
 */
import * as vscode from 'vscode';
import { MAX_PROFILE_FILE_BYTES, profilesInText } from './profileFiles.js';
import type { FleetService } from '../fleetService.js';

export type ProfileNode =
  | { kind: 'profileFile'; uri: vscode.Uri; name: string; namespace: string; version: string }
  | { kind: 'runningOn'; cluster: string; profile: string; version: string; state: string; desired: string };

const MAX_FILES = 2000;

export class ProfileTreeProvider implements vscode.TreeDataProvider<ProfileNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<ProfileNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private files: (ProfileNode & { kind: 'profileFile' })[] | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly unsubscribe: () => void;

  constructor(private readonly fleet: FleetService) {
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.{yaml,yml}');
    const rescan = () => {
      this.files = undefined;
      this.schedule();
    };
    this.disposables.push(watcher, watcher.onDidCreate(rescan), watcher.onDidChange(rescan), watcher.onDidDelete(rescan));
    // Which clusters run which version changes with the fleet; the view is small, a coalesced refresh is fine.
    this.unsubscribe = fleet.model.onChange(() => this.schedule());
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.emitter.fire(undefined);
    }, 500);
  }

  /** The profile files found (for commands that pick one). */
  async profileFiles(): Promise<(ProfileNode & { kind: 'profileFile' })[]> {
    this.files ??= await scanWorkspace();
    return this.files;
  }

  async getChildren(node?: ProfileNode): Promise<ProfileNode[]> {
    if (!node) return this.profileFiles();
    if (node.kind !== 'profileFile') return [];
    this.fleet.ensureStarted();
    return this.fleet.model
      .list()
      .flatMap((v) =>
        v.profiles
          .filter((p) => p.name === node.name && p.namespace === node.namespace)
          .map((p): ProfileNode => ({ kind: 'runningOn', cluster: v.id, profile: p.key, version: p.appliedVersion ?? '—', state: p.state, desired: p.version })),
      )
      .sort((a, b) => (a.kind === 'runningOn' && b.kind === 'runningOn' ? a.cluster.localeCompare(b.cluster) : 0));
  }

  getTreeItem(node: ProfileNode): vscode.TreeItem {
    if (node.kind === 'profileFile') {
      const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `file:${node.uri.toString()}#${node.namespace}/${node.name}`;
      item.description = `${node.version} · ${vscode.workspace.asRelativePath(node.uri)}`;
      item.tooltip = `${node.namespace}/${node.name} ${node.version}\n${node.uri.fsPath}`;
      item.iconPath = new vscode.ThemeIcon('file-code');
      item.resourceUri = node.uri;
      item.contextValue = 'profileFile';
      item.command = { command: 'vscode.open', title: 'Open', arguments: [node.uri] };
      return item;
    }
    const item = new vscode.TreeItem(node.cluster, vscode.TreeItemCollapsibleState.None);
    item.id = `running:${node.cluster}/${node.profile}`;
    item.description = `${node.version}${node.version !== node.desired ? ` → ${node.desired}` : ''} · ${node.state}`;
    item.tooltip = `${node.cluster} runs ${node.profile} ${node.version} (desired ${node.desired}), ${node.state}`;
    item.iconPath = new vscode.ThemeIcon('server');
    item.contextValue = 'profileOnCluster';
    return item;
  }

  dispose(): void {
    this.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
    this.emitter.dispose();
  }
}

async function scanWorkspace(): Promise<(ProfileNode & { kind: 'profileFile' })[]> {
  const uris = await vscode.workspace.findFiles('**/*.{yaml,yml}', '{**/node_modules/**,**/out/**,**/dist/**}', MAX_FILES);
  const found: (ProfileNode & { kind: 'profileFile' })[] = [];
  for (const uri of uris) {
    let text: string;
    try {
      // Not even read past the limit (a 200 MB file ran the host out of heap).
      if ((await vscode.workspace.fs.stat(uri)).size > MAX_PROFILE_FILE_BYTES) continue;
      text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    } catch {
      continue;
    }
    for (const p of profilesInText(text)) found.push({ kind: 'profileFile', uri, ...p });
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}
