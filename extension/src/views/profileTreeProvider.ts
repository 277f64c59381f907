/**
 * The Profiles view: the workspace's profile files (*.profile.yaml, and YAML files holding a
 * ClusterProfile), each with the clusters that run it and the version they run. Files are parsed
 * in a worker thread (./profileParser.ts) with the language server's limits, and a change
 * re-reads only the files the watcher named (./profileIndex.ts).
 */
import * as vscode from 'vscode';
import { MAX_PROFILE_FILE_BYTES } from './profileFiles.js';
import { ProfileIndex } from './profileIndex.js';
import { ProfileParser } from './profileParser.js';
import type { FleetService } from '../fleetService.js';

export type ProfileNode =
  | { kind: 'profileFile'; uri: vscode.Uri; name: string; namespace: string; version: string }
  | { kind: 'runningOn'; cluster: string; profile: string; version: string; state: string; desired: string };

const MAX_FILES = 2000;
const EXCLUDE = '{**/node_modules/**,**/out/**,**/dist/**}';

export class ProfileTreeProvider implements vscode.TreeDataProvider<ProfileNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<ProfileNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly disposables: vscode.Disposable[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly unsubscribe: () => void;
  private readonly parser: ProfileParser;
  /** Exposed for the VS Code-host test: how many files were read since the start. */
  readonly index: ProfileIndex;

  /** `workerPath`: the bundled ./profileScanWorker.ts (dist/profileScanWorker.js). */
  constructor(private readonly fleet: FleetService, workerPath: string, log?: (message: string) => void) {
    this.parser = new ProfileParser(workerPath, { onProblem: log });
    this.index = new ProfileIndex({
      list: async () => (await vscode.workspace.findFiles('**/*.{yaml,yml}', EXCLUDE, MAX_FILES)).map((uri) => uri.toString()),
      read: readProfileFile,
      parse: (bytes, key) => this.parser.parse(bytes, vscode.workspace.asRelativePath(vscode.Uri.parse(key))),
      excluded: (key) => /\/(node_modules|out|dist)\//.test(vscode.Uri.parse(key).path),
      maxFiles: MAX_FILES,
    });
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.{yaml,yml}');
    const changed = (uri: vscode.Uri) => {
      this.index.changed(uri.toString());
      this.schedule();
    };
    const deleted = (uri: vscode.Uri) => {
      if (this.index.deleted(uri.toString())) this.schedule();
    };
    // A deleted folder: the YAML watcher may not name the files it held.
    const folders = vscode.workspace.createFileSystemWatcher('**/*', true, true, false);
    this.disposables.push(
      watcher,
      folders,
      this.parser,
      watcher.onDidCreate(changed),
      watcher.onDidChange(changed),
      watcher.onDidDelete(deleted),
      folders.onDidDelete(deleted),
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        this.index.reset();
        this.schedule();
      }),
    );
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
    return (await this.index.profiles()).map(({ key, ...p }) => ({ kind: 'profileFile', uri: vscode.Uri.parse(key), ...p }));
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

/** A file's bytes, not read at all past the limit (a 200 MB file ran the host out of heap). */
async function readProfileFile(key: string): Promise<Uint8Array | undefined> {
  const uri = vscode.Uri.parse(key);
  try {
    const stat = await vscode.workspace.fs.stat(uri);
    if (stat.type & vscode.FileType.Directory || stat.size > MAX_PROFILE_FILE_BYTES) return undefined;
    return await vscode.workspace.fs.readFile(uri);
  } catch {
    return undefined;
  }
}
