/** Commands are called from tree nodes, editors, CodeLens and tests; these read their arguments. */
import * as vscode from 'vscode';
import type { FleetNode } from '../views/fleetNodes.js';
import type { ProfileNode } from '../views/profileTreeProvider.js';

export function clusterOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  const node = arg as { kind?: string; id?: unknown; cluster?: unknown } | undefined;
  if (node && typeof node === 'object') {
    if (node.kind === 'cluster' && typeof node.id === 'string') return node.id;
    if (typeof node.cluster === 'string') return node.cluster;
  }
  return undefined;
}

export function profileOf(arg: unknown): { cluster: string; namespace: string; name: string } | undefined {
  const node = arg as Partial<FleetNode> | undefined;
  if (node && typeof node === 'object' && node.kind === 'profile') {
    const p = node as FleetNode & { kind: 'profile' };
    return { cluster: p.cluster, namespace: p.namespace, name: p.name };
  }
  const running = arg as Partial<ProfileNode> | undefined;
  if (running && typeof running === 'object' && running.kind === 'runningOn') {
    const r = running as ProfileNode & { kind: 'runningOn' };
    const [namespace, name] = r.profile.split('/');
    return { cluster: r.cluster, namespace, name };
  }
  return undefined;
}

export function uriOf(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  const node = arg as Partial<ProfileNode> | undefined;
  if (node && typeof node === 'object' && node.kind === 'profileFile') return (node as ProfileNode & { kind: 'profileFile' }).uri;
  return undefined;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
