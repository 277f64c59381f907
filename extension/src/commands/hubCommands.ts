/**
 * Join a cluster to the hub, and remove it: the extension's side of `kplane hub join/leave`
 * (plane/src/hub/hubMembership.ts does the work; docs/hub.md). The hub is kplane.fleet.hub, or
 * a context picked when that setting is empty. Arguments given in `options` skip their question
 * (tests, other extensions).
 */
import * as vscode from 'vscode';
import { memberNameProblem } from '@kplane/profile';
import { contextClient, forContext, hubJoin, hubLeave, loadKubeconfig, parseLabels } from '@kplane/plane/cluster';
import type { FleetService } from '../fleetService.js';
import type { Host } from '../host.js';
import { errorText } from './nodeArgs.js';

export interface HubJoinOptions {
  name?: string;
  hubContext?: string;
  memberContext?: string;
  /** k=v,k2=v2 */
  labels?: string;
  displayName?: string;
}

export interface HubLeaveOptions {
  name?: string;
  hubContext?: string;
  /** The member's context, to remove its Secret too; '' = hub side only. */
  memberContext?: string;
  removeProfiles?: boolean;
  yes?: boolean;
}

function contexts(): { kubeconfig: ReturnType<typeof loadKubeconfig>; names: string[] } {
  const kubeconfig = loadKubeconfig(vscode.workspace.getConfiguration('kplane').get<string>('fleet.kubeconfig', ''));
  return { kubeconfig, names: kubeconfig.kubeConfig.getContexts().map((c) => c.name) };
}

async function hubContextOf(host: Host, names: string[], given: string | undefined, title: string): Promise<string | undefined> {
  const hub = given ?? (vscode.workspace.getConfiguration('kplane').get<string>('fleet.hub', '') || undefined);
  if (hub) return hub;
  return (await host.pickOne(names.map((label) => ({ label })), { title: `${title}: the hub's context (set kplane.fleet.hub to skip this)` }))?.label;
}

export async function hubJoinCommand(fleet: FleetService, host: Host, options: HubJoinOptions = {}): Promise<boolean> {
  const title = 'Join a Cluster to the Hub';
  const { kubeconfig, names } = contexts();
  if (kubeconfig.errors.length) {
    void host.error(`${title}: ${kubeconfig.errors.join('; ')}`);
    return false;
  }
  const hubContext = await hubContextOf(host, names, options.hubContext, title);
  if (!hubContext) return false;
  const memberContext = options.memberContext ?? (await host.pickOne(names.filter((n) => n !== hubContext).map((label) => ({ label })), { title: `${title}: the member cluster's context` }))?.label;
  if (!memberContext) return false;
  const name = options.name ?? (await host.input({ title: `${title}: member name`, prompt: `Its namespace on the hub is kplane-member-<name>.`, value: memberContext.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '').slice(0, 40), validateInput: (v) => memberNameProblem(v) }));
  if (!name) return false;
  const labelsText = options.labels ?? (await host.input({ title: `${title}: labels (what Apply by selector matches)`, prompt: 'k=v,k2=v2 (may be empty)', validateInput: (v) => parseLabels(v).error }));
  if (labelsText === undefined) return false;
  const problem = memberNameProblem(name);
  const { labels, error } = parseLabels(labelsText);
  if (problem || error) {
    void host.error(`${title}: ${problem ?? error}.`);
    return false;
  }
  try {
    const hub = contextClient(kubeconfig.kubeConfig, hubContext, 'hub context');
    const member = contextClient(kubeconfig.kubeConfig, memberContext, 'member context');
    try {
      const result = await host.progress(`Joining ${name} to hub ${hubContext}`, (progress) =>
        hubJoin({ hub, member }, forContext(kubeconfig.kubeConfig, hubContext), { name, labels, ...(options.displayName ? { displayName: options.displayName } : {}), progress: (message) => progress.report({ message }) }),
      );
      void host.info(`${name} joined hub ${hubContext} (namespace ${result.namespace}); its agent switches to hub mode within 15 s.${result.tokenExpires ? ` The hub token expires ${result.tokenExpires}.` : ''}`);
      fleet.refresh();
      return true;
    } finally {
      hub.close();
      member.close();
    }
  } catch (err) {
    void host.error(`${title}: ${errorText(err)}`);
    return false;
  }
}

export async function hubLeaveCommand(fleet: FleetService, host: Host, options: HubLeaveOptions = {}): Promise<boolean> {
  const title = 'Remove a Cluster from the Hub';
  const { kubeconfig, names } = contexts();
  if (kubeconfig.errors.length) {
    void host.error(`${title}: ${kubeconfig.errors.join('; ')}`);
    return false;
  }
  const hubContext = await hubContextOf(host, names, options.hubContext, title);
  if (!hubContext) return false;
  const name = options.name ?? (await host.input({ title: `${title}: member name`, validateInput: (v) => memberNameProblem(v) }));
  if (!name) return false;
  let memberContext = options.memberContext;
  if (memberContext === undefined) {
    const picked = await host.pickOne([{ label: '$(cloud) Hub side only', description: 'the member is gone or not in the kubeconfig', id: '' }, ...names.filter((n) => n !== hubContext).map((label) => ({ label, id: label }))], { title: `${title}: the member's context, to remove its Secret too` });
    if (!picked) return false;
    memberContext = picked.id;
  }
  if (!options.yes) {
    const answer = await host.confirm(`Remove ${name} from hub ${hubContext}?`, 'Its hub token is revoked and its hub namespace deleted. Profiles it received from the hub stay on the member as local profiles.', 'Remove');
    if (answer !== 'Remove') return false;
  }
  try {
    const hub = contextClient(kubeconfig.kubeConfig, hubContext, 'hub context');
    const member = memberContext ? contextClient(kubeconfig.kubeConfig, memberContext, 'member context') : undefined;
    try {
      const result = await host.progress(`Removing ${name} from hub ${hubContext}`, (progress) => hubLeave(hub, member, { name, removeProfiles: options.removeProfiles, progress: (message) => progress.report({ message }) }));
      void host.info(`${name} left hub ${hubContext}.${result.profiles.length ? ` Kept as local profiles: ${result.profiles.join(', ')}.` : ''}`);
      fleet.refresh();
      return true;
    } finally {
      hub.close();
      member?.close();
    }
  } catch (err) {
    void host.error(`${title}: ${errorText(err)}`);
    return false;
  }
}
