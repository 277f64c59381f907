/**
 * kplane.showDrift: a diff editor of the profile's desired object (rendered with its values)
 * against the live object on the cluster, served by a TextDocumentContentProvider so nothing is
 * written to disk.
 */
import * as vscode from 'vscode';
import { KubernetesObjectApi } from '@kubernetes/client-node';
import { objectKey, renderProfile, type DriftRecord } from '@kplane/profile';
import { stringify } from 'yaml';
import type { FleetService } from '../fleetService.js';
import type { Host } from '../host.js';
import type { FleetNode } from '../views/fleetNodes.js';
import { errorText } from './nodeArgs.js';
import type { DriftContentProvider } from '../driftContentProvider.js';
import { DRIFT_SCHEME } from '../driftContentProvider.js';

export async function showDriftCommand(fleet: FleetService, host: Host, provider: DriftContentProvider, arg: unknown): Promise<{ desired: string; live: string } | undefined> {
  const node = arg as FleetNode | undefined;
  if (!node || node.kind !== 'drift') {
    void host.error('Show Drift: run it on a drifted resource under a profile in the kplane Fleet view.');
    return undefined;
  }
  const record: DriftRecord = node.record;
  const profile = fleet.model.record(node.cluster)?.profiles.get(node.profileKey);
  const context = fleet.context(node.cluster);
  if (!profile || !context) {
    void host.error(`Show Drift: ${node.profileKey} is no longer on ${node.cluster}. Refresh the Fleet view.`);
    return undefined;
  }
  const key = objectKey(record);
  const rendered = renderProfile(profile.spec).layers.flatMap((l) => l.manifests);
  const desired = rendered.find((m) => objectKey({ apiVersion: m.apiVersion, kind: m.kind, name: m.metadata.name, namespace: m.metadata.namespace }) === key);
  let live: unknown;
  try {
    const api = KubernetesObjectApi.makeApiClient(context.kubeConfig);
    live = await api.read({ apiVersion: record.apiVersion, kind: record.kind, metadata: { name: record.name, ...(record.namespace ? { namespace: record.namespace } : {}) } });
  } catch (err) {
    const code = (err as { code?: number }).code;
    live = code === 404 ? undefined : `# cannot read the live object from ${node.cluster}: ${errorText(err)}`;
  }
  const desiredText = desired ? stringify(desired) : `# ${record.kind} ${record.name} is not in ${profile.metadata.name}'s current spec\n`;
  const liveText = typeof live === 'string' ? live : live ? stringify(trimLive(live as Record<string, unknown>)) : '# (deleted on the cluster)\n';
  const name = `${record.kind}-${record.namespace ? `${record.namespace}-` : ''}${record.name}.yaml`;
  const left = vscode.Uri.from({ scheme: DRIFT_SCHEME, path: `/${node.cluster}/desired/${name}`, query: String(Date.now()) });
  const right = vscode.Uri.from({ scheme: DRIFT_SCHEME, path: `/${node.cluster}/live/${name}`, query: String(Date.now()) });
  provider.set(left, desiredText);
  provider.set(right, liveText);
  await vscode.commands.executeCommand('vscode.diff', left, right, `${record.kind} ${record.name} on ${node.cluster}: profile ↔ live (${record.fields.join(', ')})`);
  return { desired: desiredText, live: liveText };
}

// Server-populated fields hide the drift; keep what a person compares against the profile.
function trimLive(object: Record<string, unknown>): Record<string, unknown> {
  const { status: _s, ...rest } = object;
  const metadata = { ...((rest.metadata as Record<string, unknown>) ?? {}) };
  for (const k of ['managedFields', 'resourceVersion', 'uid', 'generation', 'creationTimestamp']) delete metadata[k];
  return { ...rest, metadata };
}
