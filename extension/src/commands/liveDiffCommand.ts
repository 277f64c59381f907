/**
 * kplane.diffProfile: what applying a profile file would change on one cluster, in a diff editor:
 * the same plane code as `kplane diff` (diffLive: rendered for the cluster, server-side dry-run
 * as the agent, live objects compared on the fields the agent manages, objects to create and to
 * prune, sensitive values masked), shown as two read-only virtual documents (sideBySide).
 */
import * as vscode from 'vscode';
import { preflightProfile, sideBySide } from '@kplane/plane';
import { describeKept, diffLive } from '@kplane/plane/live-diff';
import type { FleetService } from '../fleetService.js';
import type { Host } from '../host.js';
import { DRIFT_SCHEME, type DriftContentProvider } from '../driftContentProvider.js';
import { clusterOf, errorText, uriOf } from './nodeArgs.js';

export interface LiveDiffResult {
  cluster: string;
  live: string;
  after: string;
  /** Objects per action, and the notes (what was not compared, and why). */
  counts: Record<string, number>;
  notes: string[];
}

export async function diffProfileCommand(fleet: FleetService, host: Host, provider: DriftContentProvider, arg?: unknown, clusterArg?: string): Promise<LiveDiffResult | undefined> {
  const uri = uriOf(arg) ?? vscode.window.activeTextEditor?.document.uri;
  if (!uri) {
    void host.error('Diff Profile with Cluster: open a profile file or pick one in the kplane Profiles view, then run the command again.');
    return undefined;
  }
  const document = await vscode.workspace.openTextDocument(uri);
  const label = vscode.workspace.asRelativePath(uri);
  const preflight = preflightProfile(uri.toString(), label, document.getText());
  if (preflight.errors.length) {
    void host.error(`Diff Profile with Cluster: ${label} has ${preflight.errors.length} error(s), e.g. ${preflight.errors[0]}. Fix them (see Problems) and run it again.`);
    return undefined;
  }
  fleet.ensureStarted();
  await fleet.ready();
  const direct = fleet.contextNames();
  const cluster = clusterArg ?? clusterOf(arg) ?? (await host.pickOne(direct.map((label) => ({ label })), { placeHolder: 'The cluster to compare the profile with' }))?.label;
  if (!cluster) return undefined;
  const client = fleet.context(cluster) ? fleet.client(cluster) : undefined;
  if (!client) {
    void host.error(`Diff Profile with Cluster: ${cluster} is not a cluster kplane reaches directly (a hub member's API server is reached through its agent only). Pick one of: ${direct.join(', ') || '(none: add clusters first)'}.`);
    return undefined;
  }
  const timeoutMs = 30_000;
  try {
    return await host.progress(`kplane: comparing ${label} with ${cluster}`, async () => {
      const counts: Record<string, number> = {};
      const notes: string[] = [];
      const changes = [];
      for (const profile of preflight.profiles) {
        const result = await diffLive(client, profile, { timeoutMs, label: cluster });
        for (const o of result.objects) counts[o.action] = (counts[o.action] ?? 0) + 1;
        if (result.kept.length) counts.kept = (counts.kept ?? 0) + result.kept.length;
        notes.push(...result.notes, ...result.kept.map(describeKept));
        changes.push(...result.objects);
      }
      const { live, after } = sideBySide(changes, `${label} on ${cluster}`);
      const stamp = String(Date.now());
      const name = label.replace(/[^\w.-]+/g, '-');
      const left = vscode.Uri.from({ scheme: DRIFT_SCHEME, path: `/${cluster}/live/${name}`, query: stamp });
      const right = vscode.Uri.from({ scheme: DRIFT_SCHEME, path: `/${cluster}/after-apply/${name}`, query: stamp });
      provider.set(left, live);
      provider.set(right, after);
      const summary = `${counts.create ?? 0} to create, ${counts.update ?? 0} to change, ${counts.prune ?? 0} to prune${counts.kept ? `, ${counts.kept} kept` : ''}`;
      await vscode.commands.executeCommand('vscode.diff', left, right, `${label} on ${cluster}: live ↔ after apply (${summary})`);
      if (notes.length) void host.info(`Diff with ${cluster}: ${notes.slice(0, 3).join('; ')}${notes.length > 3 ? ` (+${notes.length - 3} more)` : ''}`);
      return { cluster, live, after, counts, notes };
    });
  } catch (err) {
    void host.error(`Diff Profile with Cluster: ${cluster}: ${errorText(err)}`);
    return undefined;
  }
}
