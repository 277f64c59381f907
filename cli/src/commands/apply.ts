import { parseArgs } from 'node:util';
import { parseDuration, type ClusterProfile } from '@kplane/profile';
import { isHubMemberId, terminalSafe, matchesSelector, parseHubMemberId, parseMaxUnavailable, parseSelector, type ClusterOutcome } from '@kplane/plane';
import { openFleet, type FleetSession, previewApply, rollOut } from '@kplane/plane/cluster';
import type { Command } from '../main.js';
import { loadProfileArgument } from '../profileArgument.js';

const usage = `Usage: kplane apply <profile.yaml> (--context NAME[,NAME…] | --selector LABELS) [--hub CONTEXT] [options]

Writes the ClusterProfile(s) of the file to each target cluster's API server (server-side apply,
field manager "kplane"); the cluster's agent does the rest. Steps: preflight validation (errors
stop here), a server-side dry-run per target with a summary of what changes, then the rollout in
batches of --max-unavailable, waiting for each batch's agents to report Ready.

  --context          target contexts (repeat or comma-separate); hub members as hub:<hub>/<name>
  --selector         target clusters whose ClusterAgent labels match, e.g. 'env=prod,tier in (edge,core),!canary'
  --hub              a hub's context: targets are its members (the labels of their ClusterAgents on
                     the hub), and each profile is written to the member's namespace on the hub,
                     kplane-member-<name>, where its agent picks it up (docs/hub.md)
  --kubeconfig       kubeconfig file(s), separated like KUBECONFIG
  --dry-run          stop after the dry-run summary
  --max-unavailable  clusters changing at once, a count or a percentage (default 1)
  --wait             how long each batch waits for Ready (default 2m; 0 = do not wait)
  --timeout          per-request deadline (default 10s)

Exit status: 0 every target applied (or unchanged), 1 validation errors or a cluster failed, 2 usage.`;

export const command: Command = {
  summary: 'apply a profile to clusters (by context or label selector), in batches',
  usage,
  async run(argv) {
    let values;
    let positionals: string[];
    try {
      ({ values, positionals } = parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          context: { type: 'string', multiple: true },
          selector: { type: 'string' },
          hub: { type: 'string', multiple: true },
          kubeconfig: { type: 'string' },
          'dry-run': { type: 'boolean', default: false },
          'max-unavailable': { type: 'string', default: '1' },
          wait: { type: 'string', default: '2m' },
          timeout: { type: 'string', default: '10s' },
        },
      }));
    } catch (err) {
      console.error(`kplane apply: ${(err as Error).message}\n\n${usage}`);
      return 2;
    }
    const list = (v: string[] | undefined) => (v ?? []).flatMap((c) => c.split(',')).map((c) => c.trim()).filter(Boolean);
    const contexts = list(values.context);
    const hubs = list(values.hub);
    const memberIds = contexts.filter(isHubMemberId);
    const unknownHub = memberIds.find((id) => !hubs.includes(parseHubMemberId(id)?.hub ?? ''));
    if (unknownHub) {
      console.error(`kplane apply: --context ${unknownHub} is a hub member; name its hub with --hub ${parseHubMemberId(unknownHub)?.hub ?? '<context>'}`);
      return 2;
    }
    if (positionals.length !== 1 || (!contexts.length && values.selector === undefined)) {
      console.error(`kplane apply: name one profile file and the targets (--context or --selector).\n\n${usage}`);
      return 2;
    }
    const timeoutMs = parseDuration(values.timeout!);
    const waitMs = values.wait === '0' ? 0 : parseDuration(values.wait!);
    if (!timeoutMs || waitMs === undefined) {
      console.error(`kplane apply: --timeout "${values.timeout}" / --wait "${values.wait}" must be durations like 10s or 2m`);
      return 2;
    }
    const selector = values.selector !== undefined ? parseSelector(values.selector) : undefined;
    if (selector && !selector.ok) {
      console.error(`kplane apply: ${selector.error}`);
      return 2;
    }

    const file = positionals[0];
    const loaded = await loadProfileArgument('apply', file, 1);
    if ('exitCode' in loaded) return loaded.exitCode;
    const { preflight } = loaded;

    const direct = contexts.filter((c) => !isHubMemberId(c));
    const session = openFleet({ kubeconfig: values.kubeconfig ?? '', contexts: selector ? [] : direct, hubs, requestTimeoutMs: timeoutMs });
    try {
      for (const e of session.errors) console.error(terminalSafe(`kplane apply: ${e}`));
    for (const w of session.warnings) console.error(terminalSafe(`kplane apply: warning: ${w}`));
      if (session.errors.length && !selector) return 2;
      await session.watcher.settled(hubs.length ? Math.max(60_000, timeoutMs * 6) : timeoutMs + 1000);
      const problems = session.watcher.hubProblems();
      for (const p of problems) console.error(terminalSafe(`kplane apply: ${p}`));
      if (problems.length) return 2;
      const targets = selector?.ok ? session.model.list().filter((c) => matchesSelector(selector.selector, c.labels)).map((c) => c.id).sort() : contexts;
      if (selector?.ok) {
        // Labels live in each cluster's ClusterAgent: a cluster that did not answer cannot match.
        // A hub member's labels are on the hub, readable whatever the member's own state.
        const unknown = session.model.list().filter((c) => c.hub === undefined && (c.state === 'Unreachable' || c.state === 'Connecting' || c.state === 'NoAgent'));
        if (unknown.length) console.error(`kplane apply: note: ${unknown.length} cluster(s) have no readable labels and were not considered: ${unknown.map((c) => `${c.id} (${c.state})`).join(', ')}`);
      }
      if (!targets.length) {
        console.error(`kplane apply: no cluster matches "${values.selector}"; "kplane status" shows the clusters and their labels come from each ClusterAgent`);
        return 1;
      }
      const maxUnavailable = parseMaxUnavailable(values['max-unavailable']!, targets.length);
      if (!maxUnavailable.ok) {
        console.error(`kplane apply: ${maxUnavailable.error}`);
        return 2;
      }
      let failed = false;
      for (const profile of preflight.profiles) {
        const ok = await applyOne(session, profile, targets, { dryRun: values['dry-run']!, maxUnavailable: maxUnavailable.value, timeoutMs, waitMs });
        failed ||= !ok;
      }
      return failed ? 1 : 0;
    } finally {
      session.dispose();
    }
  },
};

async function applyOne(session: FleetSession, profile: ClusterProfile, targets: string[], o: { dryRun: boolean; maxUnavailable: number; timeoutMs: number; waitMs: number }): Promise<boolean> {
  const name = `${profile.metadata.namespace ?? 'kplane-system'}/${profile.metadata.name}@${profile.spec.version}`;
  console.log(`Profile ${name}: dry-run on ${targets.length} cluster(s)`);
  const ready: string[] = [];
  let failed = false;
  for (const id of targets) {
    // A hub member must be on the hub: writing into a namespace nobody joined would only fail later.
    const client = session.model.get(id) || !isHubMemberId(id) ? session.watcher.target(id) : undefined;
    if (!client) {
      console.log(`  ✗ ${id}: ${isHubMemberId(id) ? 'not a member of its hub; "kplane status --hub <context>" lists the members' : 'not in the kubeconfig'}`);
      failed = true;
      continue;
    }
    try {
      const { change } = await previewApply(client, profile, o.timeoutMs);
      const what = change.kind === 'unchanged' ? 'unchanged' : change.kind === 'create' ? `create (${change.version})` : `update ${change.version ?? ''}: ${change.paths.slice(0, 6).join(', ')}${change.paths.length > 6 ? ` and ${change.paths.length - 6} more` : ''}`;
      console.log(terminalSafe(`  ${id}: ${what}`));
      ready.push(id);
    } catch (err) {
      console.log(terminalSafe(`  ✗ ${id}: dry-run failed: ${err instanceof Error ? err.message : String(err)}`));
      failed = true;
    }
  }
  if (o.dryRun || !ready.length) return !failed;
  console.log(`Applying to ${ready.length} cluster(s), ${o.maxUnavailable} at a time${o.waitMs ? `, waiting up to ${Math.round(o.waitMs / 1000)}s per batch for Ready` : ''}`);
  const outcomes = await rollOut({
    profile,
    targets: ready,
    client: (id) => session.watcher.target(id),
    model: session.model,
    maxUnavailable: o.maxUnavailable,
    requestTimeoutMs: o.timeoutMs,
    readyTimeoutMs: o.waitMs,
    onProgress: (message) => {
      if (message !== 'done') console.log(terminalSafe(`  … ${message}`));
    },
  });
  for (const r of outcomes) console.log(terminalSafe(`  ${symbol(r)} ${r.cluster}: ${r.result}: ${r.message}`));
  return !failed && outcomes.every((r) => r.result === 'applied' || r.result === 'unchanged');
}

function symbol(r: ClusterOutcome): string {
  return r.result === 'failed' ? '✗' : r.result === 'skipped' ? '-' : '✓';
}
