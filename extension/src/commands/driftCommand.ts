/**
 * kplane.showDrift: a diff editor of the profile's desired object (rendered with its values)
 * against the live object on the cluster, served by a TextDocumentContentProvider so nothing is
 * written to disk. Sensitive values are masked on both sides (driftDocuments).
 */
import * as vscode from 'vscode';
import { KubernetesObjectApi } from '@kubernetes/client-node';
import type { DriftRecord } from '@kplane/profile';
import { driftDocuments } from '@kplane/plane';
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
  const hub = fleet.model.record(node.cluster)?.hub;
  if (!profile || (!context && hub === undefined)) {
    void host.error(`Show Drift: ${node.profileKey} is no longer on ${node.cluster}. Refresh the Fleet view.`);
    return undefined;
  }
  let live: Record<string, unknown> | undefined | { unreadable: string };
  if (!context) {
    // A hub member: the plane has no route to its API server, only what its agent reported to the hub.
    live = { unreadable: `the live object is on ${node.cluster}, which kplane reads through hub ${hub} only; its agent reported drifted at ${record.detectedTime}${record.correctedTime ? ` (put back at ${record.correctedTime})` : ''}: ${record.fields.join(', ')}` };
  } else try {
    const api = KubernetesObjectApi.makeApiClient(context.kubeConfig);
    live = (await api.read({ apiVersion: record.apiVersion, kind: record.kind, metadata: { name: record.name, ...(record.namespace ? { namespace: record.namespace } : {}) } })) as unknown as Record<string, unknown>;
  } catch (err) {
    const code = (err as { code?: number }).code;
    live = code === 404 ? undefined : { unreadable: `cannot read the live object from ${node.cluster}: ${errorText(err)}` };
  }
  // Masked structurally before any text is made (plane/src/fleet/secretViews.ts).
  const { desired: desiredText, live: liveText } = driftDocuments(profile.spec, record, live, profile.metadata.name);
  const name = `${record.kind}-${record.namespace ? `${record.namespace}-` : ''}${record.name}.yaml`;
  const left = vscode.Uri.from({ scheme: DRIFT_SCHEME, path: `/${node.cluster}/desired/${name}`, query: String(Date.now()) });
  const right = vscode.Uri.from({ scheme: DRIFT_SCHEME, path: `/${node.cluster}/live/${name}`, query: String(Date.now()) });
  provider.set(left, desiredText);
  provider.set(right, liveText);
  await vscode.commands.executeCommand('vscode.diff', left, right, `${record.kind} ${record.name} on ${node.cluster}: profile ↔ live (${record.fields.join(', ')})`);
  return { desired: desiredText, live: liveText };
}
