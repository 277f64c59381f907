/**
 * The dashboard's messages, declared once and imported by both sides: the webview (bundled for
 * the browser from media/src/dashboard.ts) and the extension host (extension/src/webview/).
 * The host never trusts what a webview posts: `parseWebviewMessage` checks every field and
 * returns a readable error instead of throwing, so a malformed message is logged and dropped.
 *
 * Platform-free on purpose: no DOM, no vscode, no Node.
 */
import type { AgentEvent, Condition, DriftRecord, FindingCode, LayerStatus, ScalingStatus, Variable, VariableValue } from '@kplane/profile/model';

/**
 * A cluster's health as the management plane sees it (issue 5, item 1), plus Connecting: before
 * the first answer the plane claims nothing. Mirrors extension/src/fleet/clusterState.ts.
 */
export type ClusterState = 'Healthy' | 'Degraded' | 'Drifted' | 'Paused' | 'NoAgent' | 'Stale' | 'Unreachable' | 'Connecting';

/** A profile's health on one cluster, derived from its status (extension/src/fleet). */
export type ProfileState = 'Ready' | 'Pending' | 'Drifted' | 'Failed' | 'Paused';

/** One ClusterProfile as it stands on one cluster. */
export interface ProfileView {
  namespace: string;
  name: string;
  /** spec.version: what the management plane asked for. */
  version: string;
  /** status.appliedVersion: what the agent says it applied. */
  appliedVersion?: string;
  state: ProfileState;
  paused: boolean;
  conditions: Condition[];
  layers: LayerStatus[];
  drift: DriftRecord[];
  scaling: ScalingStatus[];
}

/** One cluster (one kubeconfig context) of the fleet. */
export interface ClusterView {
  /** The kubeconfig context: the cluster's identity in the plane. */
  context: string;
  displayName: string;
  state: ClusterState;
  /** Why the state is what it is, e.g. "API server unreachable: connect ECONNREFUSED". */
  stateDetail?: string;
  /** For Unreachable: the state the cluster was in when it was last reachable. */
  lastKnown?: ClusterState;
  labels: Record<string, string>;
  agentVersion?: string;
  kubernetesVersion?: string;
  nodes?: { total: number; ready: number };
  /** The agent's last heartbeat (ISO 8601), also the last known state's age when Unreachable. */
  lastSeen?: string;
  conditions: Condition[];
  profiles: ProfileView[];
  /** The agent's event timeline, oldest first. */
  events: AgentEvent[];
  /**
   * The same cluster is also a member of these hubs (the agent reports one cluster id both ways):
   * listed once, as this direct entry, with the member's id and its state on each hub.
   */
  alsoOnHub?: { hub: string; context: string; state: ClusterState }[];
}

export interface FleetSnapshot {
  /** When the snapshot was taken (ISO 8601); ages in the page are relative to it. */
  takenAt: string;
  clusters: ClusterView[];
}

/** A problem found in edited values, with where it is in the edited YAML (UTF-16 offsets). */
export interface ValuesFinding {
  /** One of docs/diagnostics.md (profile/src/validation/codes.ts). */
  code: FindingCode;
  severity: 'error' | 'warning';
  message: string;
  /** Path inside the values document, e.g. ["replicas"]. */
  path: (string | number)[];
  start?: number;
  end?: number;
}

export interface ProfileRef {
  context: string;
  namespace: string;
  name: string;
}

// ---- host → webview -------------------------------------------------------------------------

export type HostMessage =
  | { type: 'snapshot'; snapshot: FleetSnapshot }
  | { type: 'showCluster'; context: string }
  /** Opens the values editor of one profile on one cluster (the Fleet tree's "Edit Values…"). */
  | { type: 'showValues'; ref: ProfileRef }
  | {
      type: 'values';
      ref: ProfileRef;
      /** The values as YAML, the editor's initial text. */
      yaml: string;
      variables: Variable[];
      /** JSON Schema of the values document, given to monaco-yaml. */
      schema: Record<string, unknown>;
      /** Values that are set but not shown (sensitive): kept as they are unless the text sets them. */
      kept: string[];
    }
  | { type: 'valuesError'; ref: ProfileRef; message: string }
  /** The host's full check of edited values (schema + semantic rules), answering validateValues. */
  | { type: 'findings'; requestId: number; ref: ProfileRef; findings: ValuesFinding[] }
  | { type: 'applyResult'; requestId: number; ref: ProfileRef; ok: boolean; message: string; findings: ValuesFinding[] };

// ---- webview → host -------------------------------------------------------------------------

export type WebviewMessage =
  | { type: 'ready' }
  /** The webview drew a snapshot: proof for tests and logs that data reached the page. */
  | { type: 'rendered'; clusters: number; profiles: number }
  | { type: 'openValues'; ref: ProfileRef }
  | { type: 'validateValues'; requestId: number; ref: ProfileRef; yaml: string }
  | { type: 'applyValues'; requestId: number; ref: ProfileRef; yaml: string }
  | { type: 'log'; level: 'info' | 'error'; message: string };

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const MAX_YAML = 256 * 1024;

/** Checks a message posted by the webview; never throws. */
export function parseWebviewMessage(raw: unknown): Parsed<WebviewMessage> {
  if (!isObject(raw)) return fail(`expected an object with a "type", got ${describe(raw)}`);
  const type = raw.type;
  switch (type) {
    case 'ready':
      return { ok: true, value: { type } };
    case 'rendered': {
      if (!isCount(raw.clusters) || !isCount(raw.profiles)) return fail('"rendered" needs non-negative integer "clusters" and "profiles"');
      return { ok: true, value: { type, clusters: raw.clusters, profiles: raw.profiles } };
    }
    case 'openValues': {
      const ref = parseRef(raw.ref);
      return ref.ok ? { ok: true, value: { type, ref: ref.value } } : fail(`"openValues": ${ref.error}`);
    }
    case 'validateValues':
    case 'applyValues': {
      const ref = parseRef(raw.ref);
      if (!ref.ok) return fail(`"${type}": ${ref.error}`);
      if (!isCount(raw.requestId)) return fail(`"${type}" needs a non-negative integer "requestId"`);
      if (typeof raw.yaml !== 'string') return fail(`"${type}" needs the edited values as a string "yaml"`);
      if (raw.yaml.length > MAX_YAML) return fail(`"${type}": values are ${raw.yaml.length} characters, more than the ${MAX_YAML} allowed`);
      return { ok: true, value: { type, requestId: raw.requestId, ref: ref.value, yaml: raw.yaml } };
    }
    case 'log': {
      if (raw.level !== 'info' && raw.level !== 'error') return fail('"log" needs "level" info or error');
      if (typeof raw.message !== 'string') return fail('"log" needs a string "message"');
      return { ok: true, value: { type, level: raw.level, message: raw.message.slice(0, 2000) } };
    }
    default:
      return fail(`unknown message type ${describe(type)}`);
  }
}

function parseRef(raw: unknown): Parsed<ProfileRef> {
  if (!isObject(raw)) return fail(`"ref" must be an object {context, namespace, name}, got ${describe(raw)}`);
  for (const key of ['context', 'namespace', 'name'] as const) {
    const v = raw[key];
    if (typeof v !== 'string' || v.length === 0 || v.length > 253) return fail(`"ref.${key}" must be a non-empty string of at most 253 characters`);
  }
  return { ok: true, value: { context: raw.context as string, namespace: raw.namespace as string, name: raw.name as string } };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.slice(0, 40));
  return typeof v;
}

function fail<T>(error: string): Parsed<T> {
  return { ok: false, error };
}

export type { VariableValue };
