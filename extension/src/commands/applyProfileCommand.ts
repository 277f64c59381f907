/**
 * kplane.applyProfile: preflight (the language server's checks; errors block), target choice
 * (clusters or a label selector), a server-side dry-run per target, a modal summary, then the
 * rollout in batches of maxUnavailable with progress and cancellation, and a per-cluster result.
 */
import * as vscode from 'vscode';
import type { ClusterProfile } from '@kplane/profile';
import { parseMaxUnavailable, type ClusterOutcome, preflightProfile, parseSelector } from '@kplane/plane';
import type { ProfileChange } from '@kplane/plane';
import { previewApply, rollOut } from '@kplane/plane/cluster';
import type { FleetService } from '../fleetService.js';
import type { Host } from '../host.js';
import { clusterOf, errorText, uriOf } from './nodeArgs.js';

/** Lets tests (and scripts) run the command without dialogs. */
export interface ApplyOptions {
  clusters?: string[];
  selector?: string;
  /** Skip the modal confirmation. */
  yes?: boolean;
  maxUnavailable?: string;
  readyTimeoutSeconds?: number;
}

export interface ApplyResult {
  blocked?: string[];
  outcomes: ClusterOutcome[];
  changes: Record<string, ProfileChange | string>;
}

export async function applyProfileCommand(fleet: FleetService, host: Host, log: vscode.LogOutputChannel, arg?: unknown, options: ApplyOptions = {}): Promise<ApplyResult | undefined> {
  const uri = uriOf(arg) ?? vscode.window.activeTextEditor?.document.uri;
  if (!uri) {
    void host.error('Apply Profile: open a profile file or pick one in the kplane Profiles view, then run the command again.');
    return undefined;
  }
  const document = await vscode.workspace.openTextDocument(uri);
  const label = vscode.workspace.asRelativePath(uri);
  const preflight = preflightProfile(uri.toString(), label, document.getText());
  if (preflight.errors.length) {
    log.error(`Apply blocked: ${label} has ${preflight.errors.length} error(s):\n  ${preflight.errors.join('\n  ')}`);
    void host.error(`Apply blocked: ${label} has ${preflight.errors.length} error(s), e.g. ${preflight.errors[0]}. Fix them (see Problems) and apply again.`, 'Show Problems').then((a) => {
      if (a) void vscode.commands.executeCommand('workbench.actions.view.problems');
    });
    return { blocked: preflight.errors, outcomes: [], changes: {} };
  }

  fleet.ensureStarted();
  const targets = await chooseTargets(fleet, host, clusterOf(arg), options);
  if (!targets?.length) return undefined;
  const maxUnavailable = parseMaxUnavailable(options.maxUnavailable ?? vscode.workspace.getConfiguration('kplane').get<string>('apply.maxUnavailable', '1'), targets.length);
  if (!maxUnavailable.ok) {
    void host.error(`Apply Profile: ${maxUnavailable.error} (setting kplane.apply.maxUnavailable).`);
    return undefined;
  }

  const result: ApplyResult = { outcomes: [], changes: {} };
  for (const profile of preflight.profiles) {
    const name = `${profile.metadata.name}@${profile.spec.version}`;
    const ready = await dryRun(fleet, host, profile, targets, result.changes);
    if (!ready) return result;
    const summary = targets.map((id) => `${id}: ${describe(result.changes[id])}`).join('\n');
    const willChange = ready.filter((id) => typeof result.changes[id] !== 'string');
    if (!willChange.length) {
      void host.error(`Apply ${name}: the dry-run failed on every target.\n${summary}`);
      return result;
    }
    if (!options.yes) {
      const answer = await host.confirm(`Apply ${name} to ${willChange.length} cluster(s), ${maxUnavailable.value} at a time?`, summary, 'Apply');
      if (answer !== 'Apply') return result;
    }
    const readyTimeoutMs = (options.readyTimeoutSeconds ?? vscode.workspace.getConfiguration('kplane').get<number>('apply.readyTimeoutSeconds', 120)) * 1000;
    const outcomes = await host.progress(`kplane: applying ${name}`, async (progress, token) => {
      const abort = new AbortController();
      const sub = token.onCancellationRequested(() => abort.abort());
      try {
        return await rollOut({
          profile,
          targets: willChange,
          client: (id) => fleet.target(id),
          model: fleet.model,
          maxUnavailable: maxUnavailable.value,
          requestTimeoutMs: fleet.timeoutMs,
          readyTimeoutMs,
          signal: abort.signal,
          onProgress: (message, done, total) => progress.report({ message: `${message} (${done}/${total})`, increment: total ? (100 * 1) / total : 0 }),
        });
      } finally {
        sub.dispose();
      }
    });
    result.outcomes.push(...outcomes);
    for (const o of outcomes) log[o.result === 'failed' ? 'error' : 'info'](`apply ${name} → ${o.cluster}: ${o.result}: ${o.message}`);
    const failed = outcomes.filter((o) => o.result === 'failed');
    const text = outcomes.map((o) => `${o.result === 'failed' ? '✗' : o.result === 'skipped' ? '–' : '✓'} ${o.cluster}: ${o.result}`).join(', ');
    if (failed.length) void host.warn(`Apply ${name}: ${failed.length} of ${outcomes.length} failed (${text}). ${failed[0].message}`, 'Show Log').then((a) => a && log.show());
    else void host.info(`Apply ${name}: ${text}`);
  }
  return result;
}

async function chooseTargets(fleet: FleetService, host: Host, fromNode: string | undefined, options: ApplyOptions): Promise<string[] | undefined> {
  if (options.clusters) return options.clusters;
  let selectorText = options.selector;
  if (selectorText === undefined && fromNode) return [fromNode];
  if (selectorText === undefined) {
    const how = await host.pickOne(
      [
        { label: '$(checklist) Pick clusters…', id: 'pick' },
        { label: '$(tag) Match a label selector…', description: 'e.g. env=prod,tier in (edge,core),!canary', id: 'selector' },
      ],
      { title: 'Apply Profile: choose the targets' },
    );
    if (!how) return undefined;
    if (how.id === 'pick') {
      const picked = await host.pick(
        fleet.model.list().map((v) => ({ label: v.id, description: `${v.state} · ${Object.entries(v.labels).map(([k, val]) => `${k}=${val}`).join(', ')}` })),
        { title: 'Apply Profile: clusters', canPickMany: true, matchOnDescription: true },
      );
      return picked?.map((p) => p.label);
    }
    selectorText = await host.input({
      title: 'Apply Profile: label selector (labels come from each cluster\'s ClusterAgent)',
      placeHolder: 'env=prod,tier in (edge,core),!canary',
      validateInput: (text) => {
        const parsed = parseSelector(text);
        return parsed.ok ? undefined : parsed.error;
      },
    });
    if (selectorText === undefined) return undefined;
  }
  const parsed = parseSelector(selectorText);
  if (!parsed.ok) {
    void host.error(`Apply Profile: ${parsed.error}`);
    return undefined;
  }
  const matched = fleet.model.select(parsed.selector).map((v) => v.id);
  const unlabelled = fleet.model.list().filter((v) => v.state === 'Unreachable' || v.state === 'Connecting' || v.state === 'NoAgent');
  if (unlabelled.length && matched.length) {
    void host.warn(`Apply Profile: ${unlabelled.length} cluster(s) have no readable labels (${unlabelled.slice(0, 3).map((v) => `${v.id}: ${v.state}`).join(', ')}${unlabelled.length > 3 ? ', …' : ''}) and are not among the targets.`);
  }
  if (!matched.length) void host.warn(`Apply Profile: no cluster matches "${selectorText}". Labels come from each cluster's ClusterAgent; clusters that are Unreachable or have no agent have none.`);
  return matched;
}

async function dryRun(fleet: FleetService, host: Host, profile: ClusterProfile, targets: string[], changes: Record<string, ProfileChange | string>): Promise<string[] | undefined> {
  return host.progress(`kplane: dry-run of ${profile.metadata.name} on ${targets.length} cluster(s)`, async (progress, token) => {
    const ok: string[] = [];
    await Promise.all(
      targets.map(async (id) => {
        const client = fleet.target(id);
        if (!client) {
          changes[id] = `not in the fleet; add its context with "Add Clusters from Kubeconfig…"`;
          return;
        }
        try {
          changes[id] = (await previewApply(client, profile, fleet.timeoutMs)).change;
          ok.push(id);
        } catch (err) {
          changes[id] = `dry-run failed: ${errorText(err)}`;
        }
        progress.report({ message: id, increment: 100 / targets.length });
      }),
    );
    return token.isCancellationRequested ? undefined : ok;
  });
}

function describe(change: ProfileChange | string | undefined): string {
  if (change === undefined) return '?';
  if (typeof change === 'string') return `✗ ${change}`;
  if (change.kind === 'create') return `create (${change.version})`;
  if (change.kind === 'unchanged') return 'unchanged';
  return `update ${change.version ?? ''}: ${change.paths.slice(0, 5).join(', ')}${change.paths.length > 5 ? ` (+${change.paths.length - 5})` : ''}`;
}
