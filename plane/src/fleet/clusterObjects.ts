/**
 * The boundary between a cluster and the plane: every ClusterAgent and ClusterProfile read from a
 * cluster is checked against the shape the plane reads before the fleet model keeps it. A field
 * of the wrong type is dropped (a list keeps its good items) and named in a problem; an object
 * without a name is ignored. So a hostile or broken cluster (an old agent, a hand-edited status)
 * shows as such on its cluster instead of throwing inside a watch. Pure, no I/O.
 */
import type { ClusterAgent, ClusterProfile } from '@kplane/profile';

type Shape = 'string' | 'number' | 'boolean' | 'stringMap' | { list: Shape } | { fields: Record<string, Shape>; required?: string[] };

const S = 'string' as const;
const N = 'number' as const;
const B = 'boolean' as const;
const fields = (f: Record<string, Shape>, required?: string[]): Shape => ({ fields: f, ...(required ? { required } : {}) });

const CONDITION = fields({ type: S, status: S, reason: S, message: S, lastTransitionTime: S, observedGeneration: N }, ['type', 'status']);
const METADATA = fields({ name: S, namespace: S, generation: N, resourceVersion: S, uid: S, deletionTimestamp: S, creationTimestamp: S, labels: 'stringMap', annotations: 'stringMap', finalizers: { list: S } });

const AGENT_SHAPE = fields({
  metadata: METADATA,
  spec: fields({ displayName: S, labels: 'stringMap', heartbeatInterval: S }),
  status: fields({
    clusterId: S,
    heartbeatTime: S,
    agentVersion: S,
    kubernetesVersion: S,
    nodes: fields({ total: N, ready: N }),
    profiles: fields({ total: N, ready: N, drifted: N, failed: N }),
    conditions: { list: CONDITION },
    events: { list: fields({ seq: N, time: S, severity: S, reason: S, message: S, profile: S }, ['seq', 'time', 'severity', 'reason', 'message']) },
    nextSeq: N,
  }),
});

const SCALING_RECORD = fields({ time: S, current: N, desired: N, metricValue: N, utilization: N, decision: S }, ['time', 'current', 'desired']);
const PROFILE_SHAPE = fields({
  metadata: METADATA,
  // Only what the plane reads of a spec; the rest (layers, variables) is read defensively where used.
  spec: fields({ version: S, paused: B, reconcile: fields({ mode: S, prune: B, interval: S }), dependsOn: { list: S } }),
  status: fields({
    observedGeneration: N,
    conditions: { list: CONDITION },
    appliedVersion: S,
    appliedHash: S,
    lastAppliedTime: S,
    layers: { list: fields({ name: S, state: S, resources: N, ready: N, message: S, chart: S, chartVersion: S, previousChartVersion: S }, ['name', 'state']) },
    resources: fields({ total: N, ready: N, drifted: N, failed: N, pruned: N }),
    drift: { list: fields({ apiVersion: S, kind: S, namespace: S, name: S, fields: { list: S }, detectedTime: S, correctedTime: S, message: S }, ['apiVersion', 'kind', 'name']) },
    scaling: {
      list: fields(
        { name: S, current: N, desired: N, metricValue: N, utilization: N, target: S, usage: N, requests: N, readyPods: N, ignoredPods: N, missingPods: N, lastDecision: S, lastDecisionTime: S, reason: S, history: { list: SCALING_RECORD } },
        ['name'],
      ),
    },
  }),
});

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return Object.getPrototypeOf(v) === Object.prototype ? 'an object' : `a ${Object.prototype.toString.call(v).slice(8, -1)}`;
  return typeof v === 'number' && !Number.isFinite(v) ? String(v) : `a ${typeof v}`;
}

const WHAT: Record<string, string> = { string: 'text', number: 'a number', boolean: 'true or false', stringMap: 'a map of text' };

/**
 * Whether `value` already has `shape`, so that conform() would return an equal copy and no
 * problem: the common case, checked without copying or building paths (a ClusterAgent's status
 * arrives about 100 times a second at a 10,000-member hub, bench:hub).
 */
function fits(value: unknown, shape: Shape): boolean {
  if (shape === 'string') return typeof value === 'string';
  if (shape === 'number') return typeof value === 'number' && Number.isFinite(value);
  if (shape === 'boolean') return typeof value === 'boolean';
  if (shape === 'stringMap') {
    if (!isRecord(value)) return false;
    for (const k in value) if (typeof value[k] !== 'string') return false;
    return true;
  }
  if ('list' in shape) {
    if (!Array.isArray(value)) return false;
    for (const item of value) if (!fits(item, shape.list)) return false;
    return true;
  }
  if (!isRecord(value)) return false;
  for (const key in shape.fields) if (value[key] !== undefined && !fits(value[key], shape.fields[key])) return false;
  if (shape.required) for (const key of shape.required) if (value[key] === undefined) return false;
  return true;
}

/** The value conformed to `shape`, or undefined (dropped) with a problem at `path`. Unknown fields of objects are kept as they are. */
function conform(value: unknown, shape: Shape, path: string, problems: string[]): unknown {
  const wrong = (expected: string) => {
    problems.push(`${path} is not ${expected} (${describe(value)})`);
    return undefined;
  };
  if (shape === 'string') return typeof value === 'string' ? value : wrong(WHAT.string);
  if (shape === 'number') return typeof value === 'number' && Number.isFinite(value) ? value : wrong(WHAT.number);
  if (shape === 'boolean') return typeof value === 'boolean' ? value : wrong(WHAT.boolean);
  if (shape === 'stringMap') {
    if (!isRecord(value)) return wrong(WHAT.stringMap);
    const bad = Object.keys(value).filter((k) => typeof value[k] !== 'string');
    if (bad.length) problems.push(`${path}.${bad[0]} is not text (${describe(value[bad[0]])})`);
    return Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === 'string'));
  }
  if ('list' in shape) {
    if (!Array.isArray(value)) return wrong('a list');
    const out: unknown[] = [];
    value.forEach((item, i) => {
      const kept = conform(item, shape.list, `${path}[${i}]`, problems);
      if (kept !== undefined) out.push(kept);
    });
    return out;
  }
  if (!isRecord(value)) return wrong('an object');
  const out: Record<string, unknown> = { ...value };
  for (const [key, inner] of Object.entries(shape.fields)) {
    if (value[key] === undefined) continue;
    const kept = conform(value[key], inner, `${path}.${key}`, problems);
    if (kept === undefined) delete out[key];
    else out[key] = kept;
  }
  for (const key of shape.required ?? []) {
    if (out[key] === undefined) {
      if (value[key] === undefined) problems.push(`${path} has no ${key}`);
      return undefined;
    }
  }
  return out;
}

export interface Checked<T> {
  /** undefined: unusable (not an object, no name), ignored. */
  object?: T;
  /** Each problem, naming the object and the field. */
  problems: string[];
}

function check<T>(raw: unknown, kind: string, shape: Shape): Checked<T> {
  if (!isRecord(raw)) return { problems: [`a ${kind} that is not an object (${describe(raw)}), ignored`] };
  const meta = raw.metadata;
  const name = isRecord(meta) && typeof meta.name === 'string' && meta.name !== '' ? meta.name : undefined;
  if (!name) return { problems: [`a ${kind} without metadata.name, ignored`] };
  // The object as read when it fits: nothing else holds a watch event's object.
  if (fits(raw, shape)) return { object: raw as T, problems: [] };
  const inner: string[] = [];
  const object = conform(raw, shape, '', inner) as T;
  // Paths come out as ".status.conditions"; the object is named once in front.
  return { object, problems: inner.map((p) => `${kind} ${name}: ${p.slice(1)}`) };
}

export function checkAgent(raw: unknown): Checked<ClusterAgent> {
  return check<ClusterAgent>(raw, 'ClusterAgent', AGENT_SHAPE);
}

export function checkProfile(raw: unknown): Checked<ClusterProfile> {
  const checked = check<ClusterProfile>(raw, 'ClusterProfile', PROFILE_SHAPE);
  // The model keys profiles by namespace/name; a spec the plane cannot read at all is kept as {}.
  if (checked.object && !isRecord(checked.object.spec)) checked.object = { ...checked.object, spec: {} } as ClusterProfile;
  return checked;
}
