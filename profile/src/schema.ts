/**
 * The JSON Schema of the kplane.dev/v1alpha1 kinds: the one source of truth. The language
 * server and the agent validate against it, `kplane schema` prints it, and the CRD manifests
 * under agent/deploy/crds/ are generated from it by ./crd.ts.
 *
 * Written in the subset that is also a Kubernetes structural schema, with `additionalProperties:
 * false` where our editor should flag unknown fields (the CRD drops those and prunes instead).
 * Descriptions double as hover documentation.
 */
import { API_VERSION, SUBSTITUTE_ANNOTATION, SUBSTITUTE_DISABLED, VARIABLE_TYPES } from './types.js';

export type JsonSchema = { [keyword: string]: unknown };

export const DNS1123_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
export const DNS1123_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
export const SEMVER =
  '^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(-((0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)(\\.(0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(\\+([0-9a-zA-Z-]+(\\.[0-9a-zA-Z-]+)*))?$';
export const DURATION = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$';
export const VARIABLE_NAME = '^[A-Za-z_][A-Za-z0-9_]*$';

/** A scalar of any type: variable defaults, values and enum members. */
const anyScalar: JsonSchema = {
  'x-kubernetes-preserve-unknown-fields': true,
  anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }],
};

const duration = (description: string): JsonSchema => ({ type: 'string', pattern: DURATION, description });

const objectRef = (what: string): JsonSchema => ({
  type: 'object',
  description: `The ${what}.`,
  required: ['apiVersion', 'kind', 'name'],
  additionalProperties: false,
  properties: {
    apiVersion: { type: 'string', minLength: 1, description: 'apiVersion of the object, e.g. apps/v1.' },
    kind: { type: 'string', minLength: 1, description: 'Kind of the object, e.g. Deployment.' },
    name: { type: 'string', minLength: 1, description: 'Name of the object.' },
    namespace: { type: 'string', description: 'Namespace of the object; empty for cluster-scoped kinds.' },
  },
});

const objectMetadata = (nameRequired: boolean): JsonSchema => ({
  type: 'object',
  'x-kubernetes-preserve-unknown-fields': true,
  ...(nameRequired ? { required: ['name'] } : {}),
  properties: {
    name: { type: 'string', minLength: 1, description: 'Name of the object.' },
    namespace: { type: 'string', description: "Namespace; defaults to the layer's namespace for namespaced kinds." },
    annotations: {
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
      properties: {
        [SUBSTITUTE_ANNOTATION]: {
          type: 'string',
          description: `${SUBSTITUTE_DISABLED}: \`\${…}\` in this object is text, never a variable (as Flux's kustomize.toolkit.fluxcd.io/substitute).`,
        },
      },
    },
  },
});

/**
 * An item of a `*List` kind: apiVersion and kind may come from a typed list (ConfigMapList), and
 * an item may itself be a list, so what it needs is checked on the expanded items (semanticCheck.ts).
 */
const listItem: JsonSchema = {
  type: 'object',
  'x-kubernetes-preserve-unknown-fields': true,
  properties: {
    apiVersion: { type: 'string', minLength: 1, description: "API group and version of the object; a typed list's (e.g. ConfigMapList's) when left out." },
    kind: { type: 'string', minLength: 1, description: "Kind of the object; a typed list's item kind (ConfigMapList → ConfigMap) when left out." },
    metadata: objectMetadata(false),
  },
};

const manifest: JsonSchema = {
  type: 'object',
  description:
    'A Kubernetes object, as you would give it to kubectl apply. `${name}` in a string substitutes a variable. A `*List` kind (v1 List, ConfigMapList, …) stands for its items.',
  'x-kubernetes-preserve-unknown-fields': true,
  required: ['apiVersion', 'kind'],
  properties: {
    apiVersion: { type: 'string', minLength: 1, description: 'API group and version of the object, e.g. apps/v1.' },
    kind: { type: 'string', minLength: 1, description: 'Kind of the object, e.g. Deployment.' },
    metadata: objectMetadata(false),
  },
  // Editor-only (a CRD's structural schema has no if/then/else): a list needs items, anything else a name.
  if: { required: ['kind'], properties: { kind: { type: 'string', pattern: 'List$' } } },
  then: { required: ['items'], properties: { items: { type: 'array', items: listItem, description: 'The objects of the list, each applied as its own object.' } } },
  else: { required: ['metadata'], properties: { metadata: { required: ['name'] } } },
};

const variable: JsonSchema = {
  type: 'object',
  description: 'A typed input of the profile. Reference it in a manifest as `${name}`.',
  required: ['name', 'type'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: VARIABLE_NAME, description: 'Unique name, a letter or _ then letters, digits or _.' },
    type: { type: 'string', enum: [...VARIABLE_TYPES], description: 'Type of the value: string, integer, number, boolean, ipv4, cidr or semver.' },
    description: { type: 'string', description: 'What the variable is for.' },
    default: { ...anyScalar, description: 'Value used when spec.values does not set one.' },
    minimum: { type: 'number', description: 'Smallest allowed value (integer and number variables).' },
    maximum: { type: 'number', description: 'Largest allowed value (integer and number variables).' },
    pattern: { type: 'string', description: 'RE2 regular expression (the syntax of Go and Kubernetes) the value must match somewhere; anchor with ^ and $ (string variables).' },
    enum: { type: 'array', items: anyScalar, description: 'The only allowed values.' },
    required: { type: 'boolean', description: 'When true and there is no default, spec.values must set it.' },
    sensitive: { type: 'boolean', description: 'Never shown in status, logs or views.' },
  },
};

/** Helm chart sources: an OCI registry or a classic HTTP(S) repository with an index.yaml. */
export const CHART_REPO = '^(oci|https?)://[^\\s]+$';
export const CHART_NAME = '^[A-Za-z0-9][A-Za-z0-9._-]*$';

const helmChart: JsonSchema = {
  type: 'object',
  description: 'A Helm chart, rendered by the agent with the real Helm engine (helm template) and applied like manifests.',
  required: ['repo', 'chart', 'version'],
  additionalProperties: false,
  properties: {
    repo: {
      type: 'string',
      pattern: CHART_REPO,
      description: 'Where the chart is: oci://registry/path (OCI registry) or https://charts.example (classic repository with index.yaml).',
    },
    chart: { type: 'string', pattern: CHART_NAME, maxLength: 250, description: 'Name of the chart in the repository, e.g. ingress-nginx.' },
    version: { type: 'string', minLength: 1, description: 'Chart version: exact (4.11.2) or a semver range (~4.11, >=4.0.0 <5.0.0); the newest match is used.' },
    releaseName: { type: 'string', pattern: DNS1123_LABEL, maxLength: 53, description: 'Release name the chart sees as .Release.Name; default: the layer name.' },
    values: {
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
      description: "Values for the chart, over its values.yaml. `${name}` in a string substitutes a variable.",
    },
    credentialsSecret: {
      type: 'string',
      pattern: DNS1123_SUBDOMAIN,
      maxLength: 253,
      description: "Secret in the agent's namespace with username/password for the repository and/or ca.crt for its HTTPS certificate.",
    },
  },
};

const layer: JsonSchema = {
  type: 'object',
  description: 'An ordered group of Kubernetes objects (manifests, or a Helm chart), applied after the layers it depends on.',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: DNS1123_LABEL, maxLength: 63, description: 'Unique layer name, a DNS-1123 label.' },
    dependsOn: {
      type: 'array',
      items: { type: 'string' },
      description: 'Layers that must be applied (and healthy, when they wait) before this one.',
    },
    namespace: { type: 'string', pattern: DNS1123_LABEL, maxLength: 63, description: 'Default namespace for namespaced manifests without one.' },
    wait: { type: 'boolean', description: 'Later layers wait until this layer is healthy.' },
    substitute: { type: 'boolean', description: 'false: `${…}` in this layer (manifests and helm) is text, never a variable (default true).' },
    manifests: { type: 'array', items: manifest, description: 'Kubernetes objects of this layer (a layer has one of manifests, compressedManifests and helm).' },
    compressedManifests: {
      type: 'string',
      description:
        "kplane's stored form of a big layer's manifests: base64 of the gzip of their JSON array. kplane apply writes it for profiles above 256 KiB (their status updates cost the API server far less); write manifests yourself, kplane reads both.",
    },
    helm: helmChart,
  },
};

const scaling: JsonSchema = {
  type: 'object',
  description: 'A scaling decision the agent takes locally, from a local metric.',
  required: ['name', 'target', 'minReplicas', 'maxReplicas', 'metric'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, description: 'Name of the policy.' },
    target: objectRef('object to scale; must be a manifest of some layer'),
    minReplicas: { type: 'integer', minimum: 0, description: 'Fewest replicas.' },
    maxReplicas: { type: 'integer', minimum: 1, description: 'Most replicas; at least minReplicas.' },
    metric: {
      type: 'object',
      description: 'Object: a number read from any object field. Resource: cpu or memory from metrics.k8s.io. Exactly one target: targetAverageValue, or targetAverageUtilization (Resource only).',
      required: ['type'],
      additionalProperties: false,
      properties: {
        type: { type: 'string', enum: ['Object', 'Resource'], description: 'Object or Resource.' },
        object: {
          type: 'object',
          description: 'The object whose field holds the metric (type Object).',
          required: ['apiVersion', 'kind', 'name', 'fieldPath'],
          additionalProperties: false,
          properties: {
            apiVersion: { type: 'string', minLength: 1 },
            kind: { type: 'string', minLength: 1 },
            name: { type: 'string', minLength: 1 },
            namespace: { type: 'string' },
            fieldPath: { type: 'string', pattern: '^\\.', description: 'Path to a numeric field, e.g. .data.depth or .status.queueLength.' },
          },
        },
        resource: {
          type: 'object',
          description: 'The resource to read from metrics.k8s.io (type Resource).',
          required: ['name'],
          additionalProperties: false,
          properties: { name: { type: 'string', enum: ['cpu', 'memory'] } },
        },
        targetAverageValue: {
          'x-kubernetes-preserve-unknown-fields': true,
          anyOf: [{ type: 'number', exclusiveMinimum: 0 }, { type: 'string', minLength: 1 }],
          description: 'Desired replicas = ceil(value / targetAverageValue), clamped to [minReplicas, maxReplicas].',
        },
        targetAverageUtilization: {
          type: 'integer',
          minimum: 1,
          description: 'Resource only: target average usage as a percent of the pods\' requests (as HPA autoscaling/v2 averageUtilization); every container needs a request for the resource.',
        },
      },
    },
    cooldown: duration('Minimum time between two scaling changes, e.g. 2m.'),
    scaleDownStabilization: duration('Scale down only to the highest recommendation of this past window (the HPA\'s scaleDown stabilizationWindowSeconds, default 5m), e.g. 30s; 0s scales down at once.'),
  },
};

const scalingRecord: JsonSchema = {
  type: 'object',
  required: ['time', 'current', 'desired'],
  properties: {
    time: { type: 'string', format: 'date-time' },
    current: { type: 'integer' },
    desired: { type: 'integer' },
    metricValue: { type: 'number' },
    utilization: { type: 'integer' },
    decision: { type: 'string' },
  },
};

const condition: JsonSchema = {
  type: 'object',
  required: ['type', 'status', 'reason', 'message', 'lastTransitionTime'],
  properties: {
    type: { type: 'string' },
    status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
    reason: { type: 'string' },
    message: { type: 'string' },
    lastTransitionTime: { type: 'string', format: 'date-time' },
    observedGeneration: { type: 'integer' },
  },
};

const conditions: JsonSchema = {
  type: 'array',
  items: condition,
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['type'],
};

const objectMeta: JsonSchema = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string', pattern: DNS1123_SUBDOMAIN, maxLength: 253, description: 'Profile name, a DNS-1123 subdomain.' },
    namespace: { type: 'string', description: 'Namespace the agent watches, kplane-system by default.' },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
  },
};

export const profileSpecSchema: JsonSchema = {
  type: 'object',
  description: 'Desired state of a cluster: versioned, layered manifests, typed variables and a reconcile policy.',
  required: ['version', 'layers'],
  additionalProperties: false,
  properties: {
    version: { type: 'string', pattern: SEMVER, description: 'Version of this profile, semver MAJOR.MINOR.PATCH[-pre][+build].' },
    description: { type: 'string', description: 'What the profile is for.' },
    dependsOn: {
      type: 'array',
      items: { type: 'string', pattern: DNS1123_SUBDOMAIN, maxLength: 253 },
      description:
        'Profiles in the same namespace of the same cluster that must be Ready before the agent applies this one (e.g. the CRDs of a stack before its custom resources).',
    },
    paused: { type: 'boolean', description: 'The agent stops changing the cluster and keeps reporting.' },
    reconcile: {
      type: 'object',
      description: 'How the agent enforces the profile.',
      additionalProperties: false,
      properties: {
        mode: { type: 'string', enum: ['enforce', 'monitor'], description: 'enforce: correct drift. monitor: only report drift.' },
        interval: duration('Full resync period, e.g. 30s, 5m, 1h30m.'),
        prune: { type: 'boolean', description: 'Delete what left the profile.' },
      },
    },
    variables: { type: 'array', items: variable, description: 'Typed inputs, referenced in manifests as ${name}.' },
    values: {
      type: 'object',
      description: 'Values of declared variables for this cluster.',
      additionalProperties: anyScalar,
    },
    layers: { type: 'array', minItems: 1, items: layer, description: 'Ordered layers of Kubernetes manifests.' },
    scaling: { type: 'array', items: scaling, description: 'Local scaling policies the agent applies itself.' },
  },
};

const layerStatus: JsonSchema = {
  type: 'object',
  required: ['name', 'state'],
  properties: {
    name: { type: 'string' },
    state: { type: 'string', enum: ['Pending', 'Applying', 'Waiting', 'Ready', 'Failed', 'Paused'] },
    resources: { type: 'integer' },
    ready: { type: 'integer' },
    message: { type: 'string' },
    chart: { type: 'string', description: 'Helm layers: the chart applied (or being applied).' },
    chartVersion: { type: 'string', description: 'Helm layers: the chart version applied (or being applied).' },
    previousChartVersion: { type: 'string', description: 'Helm layers, during an upgrade: the chart version applied before.' },
  },
};

const counts = (names: string[]): JsonSchema => ({
  type: 'object',
  properties: Object.fromEntries(names.map((n) => [n, { type: 'integer' }])),
});

export const profileStatusSchema: JsonSchema = {
  type: 'object',
  description: 'Written by the agent only.',
  properties: {
    observedGeneration: { type: 'integer' },
    conditions,
    appliedVersion: { type: 'string' },
    appliedHash: { type: 'string' },
    lastAppliedTime: { type: 'string', format: 'date-time' },
    layers: { type: 'array', items: layerStatus },
    resources: counts(['total', 'ready', 'drifted', 'failed', 'pruned']),
    drift: {
      type: 'array',
      maxItems: 50,
      items: {
        type: 'object',
        required: ['apiVersion', 'kind', 'name', 'fields', 'detectedTime'],
        properties: {
          apiVersion: { type: 'string' },
          kind: { type: 'string' },
          namespace: { type: 'string' },
          name: { type: 'string' },
          fields: { type: 'array', items: { type: 'string' } },
          detectedTime: { type: 'string', format: 'date-time' },
          correctedTime: { type: 'string', format: 'date-time' },
          message: { type: 'string' },
        },
      },
    },
    scaling: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'current', 'desired'],
        properties: {
          name: { type: 'string' },
          current: { type: 'integer' },
          desired: { type: 'integer' },
          metricValue: { type: 'number' },
          utilization: { type: 'integer', description: 'Average usage as a percent of requests (utilization targets).' },
          target: { type: 'string', description: 'The target the decision compared with, e.g. 60% of requests or 200m.' },
          usage: { type: 'number', description: 'Total usage of the pods the decision counted (cores or bytes).' },
          requests: { type: 'number', description: 'Total requests of those pods (cores or bytes; utilization targets).' },
          readyPods: { type: 'integer', description: 'Pods counted with a metric.' },
          ignoredPods: { type: 'integer', description: 'Pods not ready yet (or pending), left out as the HPA leaves them out.' },
          missingPods: { type: 'integer', description: 'Pods without a metric yet.' },
          lastDecision: { type: 'string' },
          lastDecisionTime: { type: 'string', format: 'date-time' },
          reason: { type: 'string' },
          history: { type: 'array', items: scalingRecord, description: 'The latest decisions, oldest first (at most 60).' },
        },
      },
    },
  },
};

export const agentSpecSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    displayName: { type: 'string', description: 'The name people see for this cluster.' },
    labels: { type: 'object', additionalProperties: { type: 'string' }, description: 'Labels used to target profiles at clusters.' },
    heartbeatInterval: duration('How often the agent writes status.heartbeatTime, e.g. 30s.'),
  },
};

export const agentStatusSchema: JsonSchema = {
  type: 'object',
  properties: {
    clusterId: { type: 'string', description: "The uid of the cluster's kube-system namespace: the same directly and on a hub." },
    heartbeatTime: { type: 'string', format: 'date-time' },
    agentVersion: { type: 'string' },
    kubernetesVersion: { type: 'string' },
    nodes: counts(['total', 'ready']),
    profiles: counts(['total', 'ready', 'drifted', 'failed']),
    conditions,
    nextSeq: { type: 'integer' },
    events: {
      type: 'array',
      maxItems: 200,
      items: {
        type: 'object',
        required: ['seq', 'time', 'severity', 'reason', 'message'],
        properties: {
          seq: { type: 'integer' },
          time: { type: 'string', format: 'date-time' },
          severity: { type: 'string', enum: ['Normal', 'Warning'] },
          reason: { type: 'string' },
          message: { type: 'string' },
          profile: { type: 'string' },
        },
      },
    },
  },
};

const document = (kind: string, spec: JsonSchema, status: JsonSchema, title: string): JsonSchema => ({
  type: 'object',
  title,
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  additionalProperties: false,
  properties: {
    apiVersion: { type: 'string', enum: [API_VERSION], description: `Always ${API_VERSION}.` },
    kind: { type: 'string', enum: [kind], description: `Always ${kind}.` },
    metadata: objectMeta,
    spec,
    status,
  },
});

/** JSON Schema of a ClusterProfile document, for editors and validation. */
export const clusterProfileSchema: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://kplane.dev/schemas/v1alpha1/clusterprofile.json',
  ...document('ClusterProfile', profileSpecSchema, profileStatusSchema, 'kplane ClusterProfile'),
};

/** JSON Schema of a ClusterAgent document. */
export const clusterAgentSchema: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://kplane.dev/schemas/v1alpha1/clusteragent.json',
  ...document('ClusterAgent', agentSpecSchema, agentStatusSchema, 'kplane ClusterAgent'),
};
