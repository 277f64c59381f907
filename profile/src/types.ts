/**
 * The kplane.dev/v1alpha1 model: ClusterProfile (desired state, written by the management
 * plane) and ClusterAgent (one per cluster, written by its agent). Shapes mirror the JSON
 * Schema in ./schema.ts; a unit test keeps the two, and the CRDs generated from the schema,
 * in agreement.
 */

export const GROUP = 'kplane.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const PROFILE_KIND = 'ClusterProfile';
export const PROFILE_PLURAL = 'clusterprofiles';
export const AGENT_KIND = 'ClusterAgent';
export const AGENT_PLURAL = 'clusteragents';
/** The namespace the agent watches unless told otherwise. */
export const DEFAULT_NAMESPACE = 'kplane-system';
/** The one ClusterAgent object of a cluster lives at kplane-system/agent. */
export const AGENT_OBJECT_NAME = 'agent';
/** Field manager used by the agent for server-side apply. */
export const AGENT_FIELD_MANAGER = 'kplane-agent';
/** Field manager used by the management plane when it writes a profile's spec. */
export const PLANE_FIELD_MANAGER = 'kplane';
/** Labels the agent puts on everything it owns. */
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const LABEL_PROFILE = 'kplane.dev/profile';
export const LABEL_PROFILE_NAMESPACE = 'kplane.dev/profile-namespace';
export const LABEL_LAYER = 'kplane.dev/layer';
export const FINALIZER = 'kplane.dev/cleanup';
/** `kplane.dev/substitute: disabled` on a manifest leaves its `${…}` as written (as Flux's `kustomize.toolkit.fluxcd.io/substitute`). */
export const SUBSTITUTE_ANNOTATION = 'kplane.dev/substitute';
export const SUBSTITUTE_DISABLED = 'disabled';

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  generation?: number;
  resourceVersion?: string;
  uid?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  finalizers?: string[];
  [key: string]: unknown;
}

/** Any Kubernetes object as written in a layer. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta & { name: string };
  [key: string]: unknown;
}

export type VariableType = 'string' | 'integer' | 'number' | 'boolean' | 'ipv4' | 'cidr' | 'semver';
export const VARIABLE_TYPES: readonly VariableType[] = ['string', 'integer', 'number', 'boolean', 'ipv4', 'cidr', 'semver'];

export type VariableValue = string | number | boolean;

export interface Variable {
  name: string;
  type: VariableType;
  description?: string;
  default?: VariableValue;
  minimum?: number;
  maximum?: number;
  /** RE2 syntax (as Go and Kubernetes), matched by ./pattern.ts in linear time. */
  pattern?: string;
  enum?: VariableValue[];
  required?: boolean;
  /** Never shown in status, logs or views. */
  sensitive?: boolean;
}

/** A Helm chart as a layer's content; the agent renders it with `helm template`. */
export interface HelmChart {
  /** oci://registry/path or http(s)://charts.example (classic index.yaml repository). */
  repo: string;
  chart: string;
  /** Exact version or a semver range; the newest match is used. */
  version: string;
  /** .Release.Name; default: the layer name. */
  releaseName?: string;
  /** Values over the chart's values.yaml; `${name}` substitutes variables. */
  values?: Record<string, unknown>;
  /** Secret in the agent's namespace: username/password and/or ca.crt. */
  credentialsSecret?: string;
}

export interface Layer {
  name: string;
  dependsOn?: string[];
  /** Default namespace for namespaced manifests that have none. */
  namespace?: string;
  /** Later layers wait until this layer is healthy. */
  wait?: boolean;
  /** false: `${…}` in this layer (manifests and chart block) is text, never a variable. */
  substitute?: boolean;
  /** A layer has exactly one of `manifests`, `compressedManifests` and `helm`. */
  manifests?: Manifest[];
  /**
   * kplane's stored form of a big layer: base64 of the gzip of the JSON array of its manifests
   * (./storedForm.ts). The plane writes it for profiles above 256 KiB; readers expand it first.
   */
  compressedManifests?: string;
  helm?: HelmChart;
}

export type ReconcileMode = 'enforce' | 'monitor';

export interface ReconcilePolicy {
  mode?: ReconcileMode;
  /** Full resync period, e.g. 30s, 5m, 1h30m. */
  interval?: string;
  prune?: boolean;
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface ObjectMetric {
  type: 'Object';
  object: ObjectRef & { fieldPath: string };
  targetAverageValue: number;
}

/** Exactly one of targetAverageValue and targetAverageUtilization (the language server checks). */
export interface ResourceMetric {
  type: 'Resource';
  resource: { name: 'cpu' | 'memory' };
  /** Average per-pod usage target, as a Kubernetes quantity (e.g. 200m, 256Mi) or a number. */
  targetAverageValue?: number | string;
  /** Average usage target as a percent of the pods' requests (HPA averageUtilization). */
  targetAverageUtilization?: number;
}

export type ScalingMetric = ObjectMetric | ResourceMetric;

export interface ScalingPolicy {
  name: string;
  target: ObjectRef;
  minReplicas: number;
  maxReplicas: number;
  metric: ScalingMetric;
  /** Minimum time between two scaling changes, e.g. 2m. */
  cooldown?: string;
  /** Scale down only to the highest recommendation of this past window (default 5m, as the HPA). */
  scaleDownStabilization?: string;
}

export interface ClusterProfileSpec {
  /** Semver MAJOR.MINOR.PATCH[-pre][+build]. */
  version: string;
  description?: string;
  /** Profiles (same namespace, same cluster) that must be Ready before this one is applied. */
  dependsOn?: string[];
  paused?: boolean;
  reconcile?: ReconcilePolicy;
  variables?: Variable[];
  values?: Record<string, VariableValue>;
  layers: Layer[];
  scaling?: ScalingPolicy[];
}

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** A condition as the Kubernetes API conventions define it. */
export interface Condition {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export const PROFILE_CONDITION_TYPES = ['Ready', 'SpecValid', 'Applied', 'InSync'] as const;
export type ProfileConditionType = (typeof PROFILE_CONDITION_TYPES)[number];

export type LayerState = 'Pending' | 'Applying' | 'Waiting' | 'Ready' | 'Failed' | 'Paused';

export interface LayerStatus {
  name: string;
  state: LayerState;
  resources: number;
  ready: number;
  message?: string;
  /** Helm layers: the chart and the version applied (or being applied). */
  chart?: string;
  chartVersion?: string;
  /** Helm layers, during an upgrade: the chart version applied before. */
  previousChartVersion?: string;
}

export interface ResourceCounts {
  total: number;
  ready: number;
  drifted: number;
  failed: number;
  pruned: number;
}

export interface DriftRecord {
  /** apiVersion/kind/namespace/name of the object. */
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  /** Managed field paths that changed, or "(deleted)". */
  fields: string[];
  detectedTime: string;
  /** Set when enforce mode put it back. */
  correctedTime?: string;
  message?: string;
}

/** One decision of a scaling policy, for the timeline. */
export interface ScalingRecord {
  time: string;
  current: number;
  desired: number;
  metricValue?: number;
  utilization?: number;
  decision?: string;
}

export interface ScalingStatus {
  name: string;
  current: number;
  desired: number;
  metricValue?: number;
  /** Average usage as a percent of requests (utilization targets). */
  utilization?: number;
  /** The target compared with, e.g. "60% of requests" or "200m". */
  target?: string;
  /** Total usage of the pods counted (cores or bytes). */
  usage?: number;
  /** Total requests of those pods (utilization targets). */
  requests?: number;
  readyPods?: number;
  ignoredPods?: number;
  missingPods?: number;
  lastDecision?: string;
  lastDecisionTime?: string;
  reason?: string;
  /** The latest decisions, oldest first (at most 60). */
  history?: ScalingRecord[];
}

export interface ClusterProfileStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  appliedVersion?: string;
  appliedHash?: string;
  lastAppliedTime?: string;
  layers?: LayerStatus[];
  resources?: ResourceCounts;
  drift?: DriftRecord[];
  scaling?: ScalingStatus[];
}

export interface ClusterProfile {
  apiVersion: typeof API_VERSION;
  kind: typeof PROFILE_KIND;
  metadata: ObjectMeta & { name: string };
  spec: ClusterProfileSpec;
  status?: ClusterProfileStatus;
}

export interface ClusterAgentSpec {
  /** The name people see for this cluster. */
  displayName?: string;
  /** Labels used to target profiles at clusters. */
  labels?: Record<string, string>;
  /** How often the agent writes status.heartbeatTime, e.g. 30s. */
  heartbeatInterval?: string;
}

export type AgentEventSeverity = 'Normal' | 'Warning';

export interface AgentEvent {
  /** Monotonically increasing, never reused, kept across agent restarts. */
  seq: number;
  time: string;
  severity: AgentEventSeverity;
  reason: string;
  message: string;
  /** namespace/name of the profile the event is about, if any. */
  profile?: string;
}

export interface ClusterAgentStatus {
  /**
   * The cluster's identity: the uid of its kube-system namespace (as KEP-2149's ClusterProperty
   * `cluster.clusterset.k8s.io` uses). The same in the cluster's own ClusterAgent and its hub copy,
   * so the plane shows a cluster it reads both directly and through a hub once.
   */
  clusterId?: string;
  heartbeatTime?: string;
  agentVersion?: string;
  kubernetesVersion?: string;
  nodes?: { total: number; ready: number };
  profiles?: { total: number; ready: number; drifted: number; failed: number };
  conditions?: Condition[];
  /** Bounded; the oldest entries fall off, so events[0].seq tells a reader what it can still fetch. */
  events?: AgentEvent[];
  /** seq of the next event; with events[0].seq a reader knows exactly what it missed. */
  nextSeq?: number;
}

export interface ClusterAgent {
  apiVersion: typeof API_VERSION;
  kind: typeof AGENT_KIND;
  metadata: ObjectMeta & { name: string };
  spec: ClusterAgentSpec;
  status?: ClusterAgentStatus;
}

/** Bounds that keep status objects small. */
export const STATUS_LIMITS = {
  drift: 50,
  events: 200,
  conditionMessage: 1024,
} as const;
