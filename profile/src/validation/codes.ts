/**
 * Every finding code kplane reports, in one closed list (as eemeli/yaml lists its error codes in
 * one union): the language server's diagnostics, `kplane validate` and the values editor use
 * these codes and nothing else. `FindingCode` is the union of
 * the keys, so a code that is not here does not compile, renaming one breaks every place that
 * produces or keys on it (quick fixes included), and docs/diagnostics.md is generated from this
 * list (scripts/gen-diagnostics-doc.mjs; a unit test fails when the checked-in file differs).
 *
 * Adding a code is one edit: an entry below (meaning, example, fix, quickFix), then
 * `node scripts/gen-diagnostics-doc.mjs`. `quickFix: true` requires a fix of that code in
 * language-server/src/service/codeActions.ts, and a fix there requires `quickFix: true` (types
 * check both ways).
 *
 * Pure data: no imports, so the webview and every package can use it.
 */

/** Where a finding comes from; docs/diagnostics.md has one section per area, in this order. */
export const FINDING_AREAS = {
  file: 'The file as a whole',
  yaml: 'YAML syntax',
  schema: 'Profile schema',
  kubernetes: 'Manifests against the Kubernetes API (built in, offline)',
  cluster: "The target cluster's schema",
  semantic: 'Rules no schema can express',
  helm: "Helm layers: the chart's values and what it renders",
  values: 'Values editor (dashboard)',
} as const;

export type FindingArea = keyof typeof FINDING_AREAS;

export interface FindingCodeInfo {
  area: FindingArea;
  /** What is wrong, in one or two sentences. */
  meaning: string;
  /** A short YAML excerpt that gets the finding. */
  example: string;
  /** What to do about it. */
  fix: string;
  /** Whether the editor offers a quick fix (language-server/src/service/codeActions.ts). */
  quickFix: boolean;
}

/** The codes of the profile's JSON Schema; a cluster schema's findings carry them prefixed with CLUSTER_. */
const SCHEMA_CODES = {
  MISSING_REQUIRED_FIELD: {
    area: 'schema',
    meaning: 'A field the schema requires is missing. The diagnostic sits on the key of the mapping that lacks it.',
    example: 'spec:\n  layers:\n    - manifests: []   # no name',
    fix: 'Add the field named in the message.',
    quickFix: false,
  },
  UNKNOWN_FIELD: {
    area: 'schema',
    meaning: 'A field the schema does not know, usually a misspelling; the message suggests the nearest allowed name.',
    example: 'spec:\n  layers:\n    - name: web\n      dependOn: [base]',
    fix: 'Rename it to the suggested field, or remove it.',
    quickFix: true,
  },
  WRONG_TYPE: {
    area: 'schema',
    meaning: 'A value has the wrong type (text where a number is expected, a list where a mapping is, ...). YAML reads 1.0, true or 08:00 unquoted as numbers or booleans.',
    example: 'spec:\n  version: 1.0   # a number, not text',
    fix: 'Write a value of the type the message names; quote values that must stay text.',
    quickFix: false,
  },
  INVALID_ENUM_VALUE: {
    area: 'schema',
    meaning: 'A value is not one of those the field allows.',
    example: 'spec:\n  reconcile:\n    mode: enforced   # enforce or monitor',
    fix: 'Use one of the values the message lists.',
    quickFix: false,
  },
  INVALID_NAME: {
    area: 'schema',
    meaning: 'A name is not a DNS-1123 subdomain, as Kubernetes requires for object names.',
    example: 'metadata:\n  name: Edge_Profile',
    fix: "Use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit.",
    quickFix: false,
  },
  INVALID_VARIABLE_NAME: {
    area: 'schema',
    meaning: 'A variable name is not an identifier.',
    example: 'spec:\n  variables:\n    - name: replica-count\n      type: integer',
    fix: 'Start with a letter or _, then use letters, digits or _ only.',
    quickFix: false,
  },
  INVALID_FIELD_PATH: {
    area: 'schema',
    meaning: "An Object metric's fieldPath does not start with '.'.",
    example: 'metrics:\n  - type: Object\n    object: { kind: ConfigMap, name: queue, fieldPath: data.depth }',
    fix: "Start the path with '.', e.g. .data.depth or .status.queueLength.",
    quickFix: false,
  },
  PATTERN_MISMATCH: {
    area: 'schema',
    meaning: 'A text value does not match the pattern the schema gives for it.',
    example: 'a value the field\'s pattern rejects',
    fix: 'Write a value that matches the pattern named in the message.',
    quickFix: false,
  },
  TOO_FEW_ITEMS: {
    area: 'schema',
    meaning: 'A list has fewer items than the schema requires.',
    example: 'spec:\n  layers: []',
    fix: 'Add items.',
    quickFix: false,
  },
  TOO_MANY_ITEMS: {
    area: 'schema',
    meaning: 'A list has more items than the schema allows.',
    example: 'a list longer than its maxItems',
    fix: 'Remove items.',
    quickFix: false,
  },
  EMPTY_VALUE: {
    area: 'schema',
    meaning: 'A text value is empty where the schema requires at least one character.',
    example: 'spec:\n  layers:\n    - name: ""',
    fix: 'Write a value.',
    quickFix: false,
  },
  TOO_LONG: {
    area: 'schema',
    meaning: 'A text value is longer than the schema allows.',
    example: 'metadata:\n  name: <more than 253 characters>',
    fix: 'Shorten it to the length the message names.',
    quickFix: false,
  },
  OUT_OF_RANGE: {
    area: 'schema',
    meaning: "A number is below the field's minimum or above its maximum.",
    example: 'spec:\n  scaling:\n    - minReplicas: -1',
    fix: 'Use a number inside the range the message names.',
    quickFix: false,
  },
  SCHEMA_VIOLATION: {
    area: 'schema',
    meaning: 'Any other rule of the schema, with the schema validator’s own words.',
    example: 'a value that breaks a rule not listed above',
    fix: 'Follow the message.',
    quickFix: false,
  },
} as const satisfies Record<string, FindingCodeInfo>;

type SchemaCode = keyof typeof SCHEMA_CODES;

type ClusterCodes = { [C in SchemaCode as `CLUSTER_${C}`]: FindingCodeInfo & { quickFix: (typeof SCHEMA_CODES)[C]['quickFix'] } };

/** The same schema rules, checked against the target cluster's OpenAPI schema of a manifest's kind. */
function clusterCodes(): ClusterCodes {
  const out: Record<string, FindingCodeInfo> = {};
  for (const [code, info] of Object.entries(SCHEMA_CODES) as [SchemaCode, FindingCodeInfo][]) {
    out[`CLUSTER_${code}`] = {
      ...info,
      area: 'cluster',
      meaning: `As ${code}, for a manifest checked against the connected cluster's schema of its kind (CRDs included). ${info.meaning}`,
      example:
        code === 'UNKNOWN_FIELD'
          ? 'manifests:\n  - apiVersion: apps/v1\n    kind: Deployment\n    spec:\n      replica: 3   # replicas'
          : code === 'WRONG_TYPE'
            ? 'manifests:\n  - apiVersion: apps/v1\n    kind: Deployment\n    spec:\n      replicas: three'
            : info.example,
    };
  }
  return out as ClusterCodes;
}

/**
 * yaml (eemeli/yaml v2) error and warning codes, reported as YAML_<code>. The language server
 * checks at compile time that every code of the yaml version it uses is listed here.
 */
const YAML_CODES = {
  YAML_ALIAS_PROPS: { meaning: 'An alias (*name) has an anchor or a tag, which YAML does not allow.', example: 'a: &x 1\nb: !!str *x', fix: 'Remove the anchor or tag from the alias.' },
  YAML_BAD_ALIAS: { meaning: 'An alias names no anchor defined before it.', example: 'a: *nowhere', fix: 'Define the anchor (&name) before the alias, or write the value out.' },
  YAML_BAD_DIRECTIVE: { meaning: 'A %-directive is malformed or unknown.', example: '%YAML 9.9\n---', fix: 'Remove the directive, or write %YAML 1.2.' },
  YAML_BAD_DQ_ESCAPE: { meaning: 'A double-quoted string has an invalid escape sequence.', example: 'path: "C:\\qdir"', fix: "Escape the backslash (\\\\) or use single quotes." },
  YAML_BAD_INDENT: { meaning: 'A line is indented inconsistently with its siblings.', example: 'spec:\n  version: 1.0.0\n   layers: []', fix: 'Align the line with its siblings, using spaces.' },
  YAML_BAD_PROP_ORDER: { meaning: 'An anchor or tag is placed after the value instead of before it.', example: 'a: 1 &x', fix: 'Put the anchor or tag before the value.' },
  YAML_BAD_SCALAR_START: { meaning: 'A plain value starts with a character reserved by YAML (@, `, ...).', example: 'name: @web', fix: 'Quote the value.' },
  YAML_BLOCK_AS_IMPLICIT_KEY: { meaning: 'A nested block is used as a key, usually from wrong indentation.', example: '- name: a\n  - b: 1', fix: 'Check the indentation.' },
  YAML_BLOCK_IN_FLOW: { meaning: 'A block collection appears inside a flow collection ([...] or {...}).', example: 'labels: { app:\n  - web }', fix: 'Write the inner collection in flow style too, or the outer one in block style.' },
  YAML_DUPLICATE_KEY: { meaning: 'A key appears twice in the same mapping; only one of the values would be used.', example: 'spec:\n  version: 1.0.0\n  version: 1.1.0', fix: 'Remove or rename one of them.' },
  YAML_IMPOSSIBLE: { meaning: 'The YAML parser reached a state it considers impossible.', example: '(rare; malformed input)', fix: 'Check the syntax near the position; report a bug if it looks valid.' },
  YAML_KEY_OVER_1024_CHARS: { meaning: 'An implicit key is longer than the 1024 characters YAML allows.', example: '<a 1025-character key>: 1', fix: 'Shorten the key.' },
  YAML_MISSING_CHAR: { meaning: 'A closing character (quote, bracket, brace) is missing.', example: 'labels: { app: web', fix: 'Add the character the message names.' },
  YAML_MULTILINE_IMPLICIT_KEY: { meaning: 'A key runs over more than one line, usually from a missing `:` or wrong indentation on the line above.', example: 'spec\n  version: 1.0.0', fix: 'Check the indentation and the `:` of the line above.' },
  YAML_MULTIPLE_ANCHORS: { meaning: 'A node has more than one anchor.', example: 'a: &x &y 1', fix: 'Keep one anchor.' },
  YAML_MULTIPLE_DOCS: { meaning: 'More than one document where one is expected.', example: 'a: 1\n---\nb: 2', fix: 'Split the documents or remove the separator.' },
  YAML_MULTIPLE_TAGS: { meaning: 'A node has more than one tag.', example: 'a: !!str !!int 1', fix: 'Keep one tag.' },
  YAML_NON_STRING_KEY: { meaning: 'A key is a collection or otherwise not a plain value.', example: '? [a, b]\n: 1', fix: 'Use a plain text key.' },
  YAML_RESOURCE_EXHAUSTION: { meaning: 'The document needs more parser resources than allowed (e.g. aliases expanding without limit).', example: 'a billion-laughs alias pattern', fix: 'Write the values out instead of nesting aliases.' },
  YAML_TAB_AS_INDENT: { meaning: 'A tab is used for indentation; YAML indents with spaces only.', example: 'spec:\n\tversion: 1.0.0', fix: 'Indent with spaces.' },
  YAML_TAG_RESOLVE_FAILED: { meaning: 'A tag names a type the parser does not know, or the value does not fit it.', example: 'a: !!binary not-base64', fix: 'Remove the tag or fix the value.' },
  YAML_UNEXPECTED_TOKEN: { meaning: 'Text where YAML expects none, e.g. after a closing quote or a flow collection.', example: 'name: "web" extra', fix: 'Remove the extra text, or quote the whole value.' },
  YAML_BAD_COLLECTION_TYPE: { meaning: 'A collection has a tag of the other collection kind (a map tagged as a sequence).', example: 'a: !!seq { b: 1 }', fix: 'Remove the tag or change the collection.' },
} as const;

type YamlCodes = { [C in keyof typeof YAML_CODES]: FindingCodeInfo & { quickFix: false } };

function yamlCodes(): YamlCodes {
  const out: Record<string, FindingCodeInfo> = {};
  for (const [code, info] of Object.entries(YAML_CODES)) out[code] = { area: 'yaml', ...info, quickFix: false };
  return out as YamlCodes;
}

/** The yaml library's own codes (ErrorCode in eemeli/yaml), without the YAML_ prefix. */
export type YamlLibraryCode = keyof typeof YAML_CODES extends `YAML_${infer C}` ? C : never;

const OTHER_CODES = {
  // The file as a whole (language server).
  FILE_TOO_LARGE: {
    area: 'file',
    meaning: 'The file has more than 4 M characters; kplane does not parse it, so nothing in it is checked. Split it into several profiles, one per file (see PROFILE_TOO_LARGE for what one profile may store: kplane writes big layers compressed, so a profile may be larger in its file than in the API server).',
    example: 'a 20 MB YAML file',
    fix: 'Split it into profiles that depend on each other (spec.dependsOn; kplane split writes them), one per file, or use a helm layer.',
    quickFix: false,
  },
  BINARY_CONTENT: {
    area: 'file',
    meaning: 'The file contains a non-text character (a control character, or U+FFFD from bytes that are not UTF-8).',
    example: 'a file saved as UTF-16 or Latin-1, or a binary file named .yaml',
    fix: 'Save the file as UTF-8 text.',
    quickFix: false,
  },
  TOO_DEEP: {
    area: 'file',
    meaning: 'A document nests deeper than 200 levels; kplane does not check it.',
    example: 'a: [[[[[ ... ]]]]]   # 10,000 levels',
    fix: 'Flatten the structure.',
    quickFix: false,
  },
  TOO_MANY_DOCUMENTS: {
    area: 'file',
    meaning: 'The file has more than 10,000 YAML documents; kplane checks none of them (each document is parsed and checked on its own, and 440,000 one-line documents took 21 s and 900 MB).',
    example: '---\na: 1\n---\na: 1\n# ... 10,001 times',
    fix: 'Split it into several files.',
    quickFix: false,
  },
  TOO_MANY_NODES: {
    area: 'file',
    meaning:
      'The file holds more than 500,000 YAML nodes (keys, values, list items; estimated from the text before parsing), or one document needs the full YAML parser (it has anchors or a YAML error) and holds more than 100,000. kplane checks neither that document nor those after it; the message names the YAML error, if there is one.',
    example: 'a: [0, 0, 0, ...]   # 2 million items',
    fix: 'Split the file (one profile per file; kplane split splits a profile), fix the YAML error named, or write anchored values out.',
    quickFix: false,
  },
  ALIAS_BOMB: {
    area: 'file',
    meaning: 'Aliases expand to more than 1,000 nodes (a "billion laughs" pattern).',
    example: 'a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]   # ... and so on',
    fix: 'Write the values out instead of nesting aliases.',
    quickFix: false,
  },
  YAML_UNRESOLVED: {
    area: 'yaml',
    meaning: 'The document parses but cannot be turned into data, e.g. an alias used before its anchor.',
    example: 'a: *x\nb: &x 1',
    fix: 'Define every anchor (&name) before its aliases (*name).',
    quickFix: false,
  },
  YAML_UNREADABLE: {
    area: 'yaml',
    meaning: 'The YAML parser gave up on the document.',
    example: '(rare; severely malformed input)',
    fix: 'Check the syntax near the start of the document.',
    quickFix: false,
  },
  EMPTY_PROFILE: {
    area: 'file',
    meaning: 'A file named *.profile.yaml (or named on the kplane validate command line) is empty.',
    example: '(an empty edge.profile.yaml)',
    fix: 'Start it with apiVersion: kplane.dev/v1alpha1 and kind: ClusterProfile.',
    quickFix: false,
  },
  NOT_A_PROFILE: {
    area: 'file',
    meaning: 'A file named *.profile.yaml (or named on the kplane validate command line) has no document with kind: ClusterProfile.',
    example: 'apiVersion: v1\nkind: ConfigMap',
    fix: 'Set kind: ClusterProfile, or rename the file if it is no profile.',
    quickFix: false,
  },
  INTERNAL_ERROR: {
    area: 'file',
    meaning: 'A bug in kplane stopped the check; the rest of the editor keeps working.',
    example: '(none: this is a bug)',
    fix: 'Report it with the file that caused it.',
    quickFix: false,
  },

  // Rules no schema can express (profile/src/validation/semanticCheck.ts, profile/src/render.ts).
  INVALID_VERSION: {
    area: 'semantic',
    meaning: 'spec.version is not a semantic version.',
    example: 'spec:\n  version: "1.4"',
    fix: 'Write MAJOR.MINOR.PATCH, e.g. 1.4.0 or 2.0.0-rc.1.',
    quickFix: false,
  },
  INVALID_DURATION: {
    area: 'semantic',
    meaning: 'A duration (reconcile interval, scaling cooldown) cannot be read.',
    example: 'spec:\n  reconcile:\n    interval: 5 minutes',
    fix: 'Write numbers with units ms, s, m or h, e.g. 30s, 5m or 1h30m.',
    quickFix: false,
  },
  INVALID_LAYER_NAME: {
    area: 'semantic',
    meaning: 'A layer name is not a DNS-1123 label (it names Kubernetes objects the agent creates).',
    example: 'layers:\n  - name: Web_Tier',
    fix: "Use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit.",
    quickFix: false,
  },
  DUPLICATE_LAYER: {
    area: 'semantic',
    meaning: 'Two layers have the same name.',
    example: 'layers:\n  - name: web\n  - name: web',
    fix: 'Rename one of them.',
    quickFix: true,
  },
  INVALID_NAMESPACE: {
    area: 'semantic',
    meaning: "A layer's or a manifest's namespace is not a DNS-1123 label.",
    example: 'layers:\n  - name: web\n    namespace: Web',
    fix: "Use at most 63 lowercase letters, digits and '-'.",
    quickFix: false,
  },
  LAYER_HELM_AND_MANIFESTS: {
    area: 'semantic',
    meaning: 'A layer has both manifests and a Helm chart; a layer holds one or the other.',
    example: 'layers:\n  - name: web\n    manifests: [...]\n    helm: { repo: ..., chart: ..., version: ... }',
    fix: 'Move the manifests into a layer of their own.',
    quickFix: false,
  },
  LAYER_COMPRESSED_AND_MANIFESTS: {
    area: 'semantic',
    meaning: "A layer has compressedManifests (kplane's stored form of its manifests) and also manifests or a Helm chart; a layer holds exactly one of the three.",
    example: 'layers:\n  - name: crds\n    manifests: [...]\n    compressedManifests: H4sIAAAAAAAAA...',
    fix: 'Keep manifests and delete compressedManifests: kplane apply writes the compressed form itself when the profile is big.',
    quickFix: false,
  },
  LAYER_STORED_COMPRESSED: {
    area: 'semantic',
    meaning:
      "A layer holds compressedManifests: kplane's stored form of a big layer (base64 of the gzip of its manifests' JSON), as kplane apply writes it for profiles above 256 KiB. The editor does not check inside it; the agent decodes and validates it.",
    example: 'layers:\n  - name: crds\n    compressedManifests: H4sIAAAAAAAAA...',
    fix: 'Nothing to fix. To edit the layer, write its objects under manifests instead (kplane apply compresses them again when the profile is big).',
    quickFix: false,
  },
  LAYER_EMPTY: {
    area: 'semantic',
    meaning: 'A layer has neither manifests nor a Helm chart.',
    example: 'layers:\n  - name: web',
    fix: 'Add manifests (Kubernetes objects) or helm (a chart with repo, chart and version).',
    quickFix: false,
  },
  INVALID_CHART_VERSION: {
    area: 'semantic',
    meaning: "A Helm layer's chart version is neither a semantic version nor a version range.",
    example: 'helm:\n  chart: ingress-nginx\n  version: latest',
    fix: 'Write e.g. 4.11.2, ~4.11, ^1.2.0 or ">=1.0.0 <2.0.0".',
    quickFix: false,
  },
  INVALID_RELEASE_NAME: {
    area: 'semantic',
    meaning: 'The Helm release name (the layer name unless helm.releaseName is set) is longer than the 53 characters Helm allows.',
    example: 'layers:\n  - name: <a 60-character name>\n    helm: {...}',
    fix: 'Set helm.releaseName, or shorten the layer name.',
    quickFix: false,
  },
  DEPENDS_ON_SELF: {
    area: 'semantic',
    meaning: 'A layer lists itself in dependsOn.',
    example: 'layers:\n  - name: web\n    dependsOn: [web]',
    fix: 'Remove it from its own dependsOn.',
    quickFix: false,
  },
  UNKNOWN_LAYER: {
    area: 'semantic',
    meaning: 'dependsOn names a layer that does not exist.',
    example: 'layers:\n  - name: web\n    dependsOn: [bsae]',
    fix: 'Use the name of an existing layer, or remove the entry.',
    quickFix: true,
  },
  DEPENDENCY_CYCLE: {
    area: 'semantic',
    meaning: 'Layers depend on each other in a cycle, so none can be applied first; the message names the cycle.',
    example: 'layers:\n  - name: a\n    dependsOn: [b]\n  - name: b\n    dependsOn: [a]',
    fix: 'Remove one of the dependsOn entries of the cycle.',
    quickFix: false,
  },
  PROFILE_TOO_LARGE: {
    area: 'semantic',
    meaning:
      "The profile is larger than an API server stores in one object: etcd refuses requests above 1.5 MiB by default (measured in test/cluster/profileSize.test.ts), and kplane keeps 128 KiB of that for status. The size counted is the profile's JSON as kplane writes it (metadata and spec), with its layers compressed when it is above 256 KiB and that makes them smaller (kplane apply stores big layers as gzip+base64), so only a profile that is still too large as stored gets this.",
    example: 'a profile holding kube-prometheus: 131 objects, its CRDs alone 2.4 MB',
    fix: 'Split it into profiles that depend on each other (spec.dependsOn; kplane split writes them, CRDs first), or install the stack from its Helm chart with a helm layer.',
    quickFix: false,
  },
  PROFILE_NEAR_SIZE_LIMIT: {
    area: 'semantic',
    meaning: 'The profile uses more than 85 % of the size a profile may have (see PROFILE_TOO_LARGE): a few more objects and it cannot be stored.',
    example: 'a 1.2 MiB profile',
    fix: 'Plan the split now: move a group of objects (e.g. the CRDs) into a profile of its own and add it to spec.dependsOn.',
    quickFix: false,
  },
  PRIVILEGED_POD: {
    area: 'semantic',
    meaning:
      "A workload's pod template breaks the Pod Security Standard \"baseline\" (privileged containers, hostPath volumes, the host's network, PID or IPC namespace, host ports, added capabilities and the like): it gets power over the node, and whoever may write this profile gets it on every cluster the profile targets. A cluster whose local policy (ConfigMap kplane-policy) sets podSecurity: baseline or restricted refuses the whole profile.",
    example: 'kind: DaemonSet\nmetadata: { name: node-root, namespace: kube-system }\nspec:\n  template:\n    spec:\n      hostNetwork: true\n      volumes: [{ name: root, hostPath: { path: / } }]\n      containers: [{ name: sh, image: busybox, securityContext: { privileged: true } }]',
    fix: 'Remove what the message names if the workload does not need it; if it does (a CNI, a node agent), keep it in a profile of its own that only cluster admins may write, on clusters whose policy allows it.',
    quickFix: false,
  },
  PROFILE_DEPENDS_ON_SELF: {
    area: 'semantic',
    meaning: 'A profile lists itself in spec.dependsOn, so it would wait for itself forever.',
    example: 'metadata:\n  name: app\nspec:\n  dependsOn: [app]',
    fix: 'Remove its own name from spec.dependsOn.',
    quickFix: false,
  },
  DUPLICATE_DEPENDENCY: {
    area: 'semantic',
    meaning: 'A profile name appears twice in spec.dependsOn.',
    example: 'spec:\n  dependsOn: [crds, crds]',
    fix: 'Remove the repeated name.',
    quickFix: false,
  },
  PROFILE_DEPENDENCY_CYCLE: {
    area: 'semantic',
    meaning:
      'Profiles depend on each other in a cycle (through spec.dependsOn), so none of them would ever be applied; the message names the cycle. Found between the profiles of one file in the editor, and between all files given to kplane validate.',
    example: '# a.profile.yaml\nspec:\n  dependsOn: [b]\n# b.profile.yaml\nspec:\n  dependsOn: [a]',
    fix: 'Remove one of the dependsOn entries of the cycle.',
    quickFix: false,
  },
  PROFILE_DEPENDENCY_NOT_FOUND: {
    area: 'semantic',
    meaning:
      'kplane validate only (information): spec.dependsOn names a profile that none of the files given defines in the same namespace. It may exist on the clusters; if it does not, the agent keeps this profile waiting (Ready=False, DependencyNotReady).',
    example: 'spec:\n  dependsOn: [crds]   # no profile named crds among the files',
    fix: 'Give kplane validate the file of that profile too, or make sure the profile exists on each cluster.',
    quickFix: false,
  },
  DUPLICATE_VARIABLE: {
    area: 'semantic',
    meaning: 'Two variables have the same name.',
    example: 'variables:\n  - name: replicas\n    type: integer\n  - name: replicas\n    type: string',
    fix: 'Remove or rename one of them.',
    quickFix: false,
  },
  INVALID_PATTERN: {
    area: 'semantic',
    meaning: "A string variable's pattern is not a valid regular expression.",
    example: 'variables:\n  - name: host\n    type: string\n    pattern: "[a-z"',
    fix: 'Fix the regular expression.',
    quickFix: false,
  },
  INVALID_RANGE: {
    area: 'semantic',
    meaning: "A number variable's minimum is above its maximum.",
    example: 'variables:\n  - name: replicas\n    type: integer\n    minimum: 10\n    maximum: 2',
    fix: 'Swap or correct them.',
    quickFix: false,
  },
  INVALID_ENUM_MEMBER: {
    area: 'semantic',
    meaning: "A member of a variable's enum does not have the variable's type.",
    example: 'variables:\n  - name: replicas\n    type: integer\n    enum: [1, two]',
    fix: "Change the member to match the variable's type.",
    quickFix: false,
  },
  INVALID_DEFAULT: {
    area: 'semantic',
    meaning: "A variable's default breaks the variable's own type or constraints.",
    example: 'variables:\n  - name: cidr\n    type: cidr\n    default: 10.0.0.0',
    fix: 'Change the default to a valid value.',
    quickFix: false,
  },
  UNKNOWN_VALUE: {
    area: 'semantic',
    meaning: 'spec.values sets a variable that is not declared.',
    example: 'spec:\n  values:\n    replica: 3',
    fix: 'Declare it under spec.variables, or remove the value.',
    quickFix: false,
  },
  INVALID_VALUE: {
    area: 'semantic',
    meaning: "A value in spec.values breaks its variable's type or constraints.",
    example: 'spec:\n  values:\n    replicas: many',
    fix: 'Change the value to fit the variable.',
    quickFix: false,
  },
  UNDECLARED_VARIABLE: {
    area: 'semantic',
    meaning: 'A manifest references ${name} (name being a variable name: letters, digits, _), but no variable has that name. Other ${…} are text.',
    example: 'image: "${imag}"',
    fix: 'Declare the variable under spec.variables or fix the name; to keep the text as it is, write $${name}, or annotate the object with kplane.dev/substitute: disabled (or set substitute: false on the layer). The quick fixes offer all three.',
    quickFix: true,
  },
  INVALID_SUBSTITUTE_ANNOTATION: {
    area: 'semantic',
    meaning: 'A manifest has the annotation kplane.dev/substitute with a value other than "disabled", which means nothing: its variables are substituted anyway.',
    example: 'metadata:\n  annotations:\n    kplane.dev/substitute: "false"',
    fix: 'Set it to disabled (to keep every ${…} of the object as text) or remove it.',
    quickFix: false,
  },
  MISSING_REQUIRED_VALUE: {
    area: 'semantic',
    meaning: 'A required variable has neither a default nor a value.',
    example: 'variables:\n  - name: region\n    type: string\n    required: true',
    fix: 'Set spec.values.<name>, or give the variable a default.',
    quickFix: false,
  },
  UNUSED_VARIABLE: {
    area: 'semantic',
    meaning: 'A variable is declared but no manifest references it.',
    example: 'variables:\n  - name: debug\n    type: boolean',
    fix: 'Use it as ${name} in a manifest, or remove it.',
    quickFix: false,
  },
  MANIFEST_MISSING_FIELD: {
    area: 'schema',
    meaning: "A manifest lacks a field every Kubernetes object needs (apiVersion, kind, metadata.name), or one its kind requires (a Deployment's spec.selector, a container's name).",
    example: 'manifests:\n  - kind: ConfigMap\n    metadata: { name: queue }',
    fix: 'Add the field named in the message.',
    quickFix: false,
  },
  INVALID_MANIFEST_NAME: {
    area: 'semantic',
    meaning: "A manifest's name is not valid for its kind (a DNS-1123 subdomain; RBAC objects: no '/' or '%').",
    example: 'manifests:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: { name: Queue_Config }',
    fix: 'Rename the object as the message says.',
    quickFix: false,
  },
  DUPLICATE_MANIFEST: {
    area: 'semantic',
    meaning: 'The same object (group, kind, namespace and name) is defined twice, in one layer or across layers.',
    example: 'two ConfigMaps named queue in namespace web',
    fix: 'Remove or rename one of them.',
    quickFix: false,
  },
  DUPLICATE_SCALING: {
    area: 'semantic',
    meaning: 'Two scaling policies have the same name.',
    example: 'scaling:\n  - name: web\n  - name: web',
    fix: 'Rename one.',
    quickFix: false,
  },
  SCALING_RANGE: {
    area: 'semantic',
    meaning: "A scaling policy's minReplicas is above its maxReplicas.",
    example: 'scaling:\n  - name: web\n    minReplicas: 16\n    maxReplicas: 10',
    fix: 'Make minReplicas at most maxReplicas.',
    quickFix: false,
  },
  SCALING_TARGET_NOT_FOUND: {
    area: 'semantic',
    meaning: "A scaling policy's target is not a manifest of this profile.",
    example: 'scaling:\n  - name: web\n    target: { apiVersion: apps/v1, kind: Deployment, name: wbe }',
    fix: 'Point the target at a manifest of some layer.',
    quickFix: false,
  },
  SCALING_TARGET_COUNT: {
    area: 'semantic',
    meaning: 'A scaling metric has no target, or both targetAverageValue and targetAverageUtilization; it needs exactly one.',
    example: 'metrics:\n  - type: Resource\n    resource: { name: cpu }\n    targetAverageValue: 200m\n    targetAverageUtilization: 60',
    fix: 'Keep exactly one of targetAverageValue and targetAverageUtilization.',
    quickFix: false,
  },
  SCALING_NO_REQUESTS: {
    area: 'semantic',
    meaning: "A Resource metric targets utilization (a percent of requests), but a container of the target requests none of that resource; the agent does not scale on it until it does.",
    example: 'metrics:\n  - type: Resource\n    resource: { name: cpu }\n    targetAverageUtilization: 60\n# and the Deployment\'s container has no resources.requests.cpu',
    fix: 'Add resources.requests.<resource> to every container of the target, or use targetAverageValue.',
    quickFix: false,
  },
  INVALID_METRIC: {
    area: 'semantic',
    meaning: "A scaling metric's fields do not fit its type (Object needs object, Resource needs resource), or its target is not a Kubernetes quantity.",
    example: 'metrics:\n  - type: Resource\n    targetAverageValue: 200 millicores',
    fix: 'Follow the message: add the missing block, remove the one of the other type, or write a quantity such as 200m or 256Mi.',
    quickFix: false,
  },
  // Manifests against the built-in Kubernetes API and the profile's CRDs (profile/src/validation/manifestCheck.ts).
  MANIFEST_UNKNOWN_FIELD: {
    area: 'kubernetes',
    meaning: "A manifest has a field its kind does not have (the API server's strict field validation rejects it), usually a misspelling; the message suggests the nearest field.",
    example: 'manifests:\n  - apiVersion: apps/v1\n    kind: Deployment\n    spec:\n      revisionHistroyLimit: 3',
    fix: 'Rename it to the suggested field, or remove it.',
    quickFix: true,
  },
  MANIFEST_WRONG_TYPE: {
    area: 'kubernetes',
    meaning: "A manifest's value has the wrong type for its field. A value that is exactly ${name} has its variable's type.",
    example: 'spec:\n  replicas: three',
    fix: 'Write a value of the type the message names; quote numbers that must stay text (ConfigMap data).',
    quickFix: false,
  },
  MANIFEST_INVALID_ENUM_VALUE: {
    area: 'kubernetes',
    meaning: "A manifest's value is not one of those its field allows.",
    example: 'containers:\n  - name: web\n    imagePullPolicy: Allways',
    fix: 'Use one of the values the message lists.',
    quickFix: true,
  },
  MANIFEST_INVALID_FORMAT: {
    area: 'kubernetes',
    meaning: 'A value does not have the format its field needs: a Kubernetes quantity, base64 (Secret data), a 32-bit integer.',
    example: 'resources:\n  limits:\n    memory: lots',
    fix: 'Write the value in the format the message names, e.g. 512Mi or 500m.',
    quickFix: false,
  },
  MANIFEST_OUT_OF_RANGE: {
    area: 'kubernetes',
    meaning: "A number is outside its field's minimum or maximum.",
    example: 'spec:\n  minimum: -1',
    fix: 'Use a number within the range the message names.',
    quickFix: false,
  },
  MANIFEST_DUPLICATE_KEY: {
    area: 'kubernetes',
    meaning: 'Two items of a list keyed by some fields (x-kubernetes-list-map-keys: containers by name, ports by containerPort and protocol) have the same key, or a set lists a value twice.',
    example: 'containers:\n  - name: web\n  - name: web',
    fix: 'Change or remove one of the two items.',
    quickFix: false,
  },
  MANIFEST_INVALID_LABEL: {
    area: 'kubernetes',
    meaning: 'A label key or value, or an annotation key, breaks the Kubernetes rules (a qualified name; values of at most 63 characters).',
    example: 'labels:\n  app: has spaces',
    fix: "Use letters, digits, '-', '_' and '.', starting and ending with a letter or digit; a key may have a DNS prefix and '/'.",
    quickFix: false,
  },
  API_REMOVED: {
    area: 'kubernetes',
    meaning: 'The manifest uses an apiVersion Kubernetes removed for its kind by the release the profile targets (facts from the Kubernetes deprecation guide).',
    example: 'apiVersion: policy/v1beta1\nkind: PodDisruptionBudget',
    fix: 'Use the replacement the message names (and the field changes it lists).',
    quickFix: true,
  },
  API_DEPRECATED: {
    area: 'kubernetes',
    meaning: 'The apiVersion is still served by the release the profile targets (kplane validate --kube-version) but removed in a later one.',
    example: 'apiVersion: batch/v1beta1\nkind: CronJob   # with --kube-version 1.24',
    fix: 'Move to the replacement before upgrading.',
    quickFix: true,
  },
  KIND_NOT_SERVED: {
    area: 'kubernetes',
    meaning: "The kind is not served at that apiVersion: another group serves it, the kind is misspelt, or the profile's CRD does not serve that version. A kind of a group nobody in the profile defines is not checked.",
    example: 'apiVersion: v1\nkind: Deployment',
    fix: 'Set the apiVersion (or kind) the message names.',
    quickFix: true,
  },
  KIND_NOT_SERVED_ON_CLUSTER: {
    area: 'kubernetes',
    meaning: "A target cluster (kplane validate --context, or the editor's target clusters) serves no such kind: its CRD is not installed there and the profile does not define it.",
    example: 'apiVersion: example.com/v1\nkind: Widget   # on a cluster without the widgets.example.com CRD',
    fix: "Install the kind's CustomResourceDefinition on that cluster, add it to a layer of the profile, or check the apiVersion and kind.",
    quickFix: false,
  },
  MANIFEST_KIND_UNKNOWN: {
    area: 'kubernetes',
    meaning: "A custom resource whose kind neither Kubernetes nor a CRD of the profile defines: it could not be checked. Not an error; checked against a target cluster that has its CRD, it is.",
    example: 'apiVersion: example.com/v1\nkind: Widget',
    fix: 'Nothing, or check it against the clusters that have its CRD: kplane validate --context NAME.',
    quickFix: false,
  },
  CLUSTER_SCHEMA_UNUSABLE: {
    area: 'cluster',
    meaning: "The connected cluster's schema of a manifest's kind could not be compiled; the manifest was checked against the profile schema only.",
    example: '(a CRD whose OpenAPI schema the validator rejects)',
    fix: 'Nothing in the profile; check the CRD on the cluster.',
    quickFix: false,
  },

  // Helm layers, against the chart itself (language-server/src/service/helmValues.ts, kplane validate).
  HELM_VALUES_SCHEMA: {
    area: 'helm',
    meaning: "A value under helm.values fails the chart's values.schema.json (checked as Helm does, on the chart's values.yaml merged with the layer's values).",
    example: 'helm:\n  chart: web\n  values:\n    replicaCount: 50   # the schema allows 0 to 10',
    fix: "Write a value the chart's schema allows; the message names the rule.",
    quickFix: false,
  },
  HELM_VALUES_UNKNOWN_KEY: {
    area: 'helm',
    meaning: "A key under helm.values that the chart's values.yaml does not have, for a chart without values.schema.json: usually a misspelling, which Helm would silently ignore.",
    example: 'helm:\n  chart: web\n  values:\n    replicas: 2   # the chart has replicaCount',
    fix: 'Rename it to the suggested key (the quick fix does), or remove it. Keys a template reads without a default in values.yaml get this warning too: then leave it.',
    quickFix: true,
  },
  HELM_CHART_UNAVAILABLE: {
    area: 'helm',
    meaning: 'The chart could not be fetched (repository unreachable, chart or version missing, no helm) and is not cached, so its values are not checked.',
    example: 'helm:\n  repo: oci://registry.example/charts\n  chart: web\n  version: 9.9.9',
    fix: 'Check repo, chart and version; for a private CA set kplane.helm.caFile; the editor tries again when the layer changes.',
    quickFix: false,
  },
  HELM_CHART_SCHEMA_UNUSABLE: {
    area: 'helm',
    meaning: "The chart's values.schema.json could not be read or compiled, so the values were not checked against it.",
    example: '(a chart whose values.schema.json is no valid JSON Schema)',
    fix: "Nothing in the profile; report it to the chart's authors. Helm itself will reject the chart too.",
    quickFix: false,
  },
  HELM_RENDER_FAILED: {
    area: 'helm',
    meaning: 'The Helm layer was rendered with helm template (by kplane validate, or by the editor in the background once the chart is cached) and it failed (a template error, a schema failure Helm found, a chart that is not a chart).',
    example: 'helm:\n  chart: web\n  values:\n    image: null   # a template reads .Values.image.tag',
    fix: "Fix the values the message names; run kplane template to see the chart's output.",
    quickFix: false,
  },
  HELM_RENDERED_OBJECT: {
    area: 'helm',
    meaning: 'An object the chart rendered fails the Kubernetes API check (unknown field, wrong type, removed API), against the built-in API or, with target clusters (kplane validate --context, the editor\'s live schemas), on some of them ("On cluster b: … is not served there"); the finding sits on the layer and names the rendered object, its template and field, and the check\'s own code in brackets and, for tools, in the finding\'s data.rule (`rule` in kplane validate --format json). In the editor once the chart is cached (rendered in the background), and in kplane validate.',
    example: '(a chart whose Deployment template writes spec.replica)',
    fix: 'Change the values that produce the field, or report it to the chart.',
    quickFix: false,
  },
  HELM_CHART_NOT_RENDERED: {
    area: 'helm',
    meaning: 'kplane validate --offline did not render a Helm layer whose chart is not in the local chart cache, so its output was not checked.',
    example: 'kplane validate --offline profile.yaml',
    fix: 'Run kplane validate once without --offline (or open the profile in the editor) to cache the chart.',
    quickFix: false,
  },

  // The dashboard's values editor (media/src/valuesCheck.ts).
  YAML_SYNTAX: {
    area: 'values',
    meaning: 'The edited values are not valid YAML.',
    example: 'replicas: [3',
    fix: 'Fix the YAML syntax.',
    quickFix: false,
  },
  VALUES_NOT_A_MAP: {
    area: 'values',
    meaning: 'The edited values are not a map of variable names to values.',
    example: '- 3',
    fix: 'Write one "name: value" line per variable, e.g. replicas: 3.',
    quickFix: false,
  },
  VALUES_BAD_KEY: {
    area: 'values',
    meaning: 'A key of the edited values is not a plain name.',
    example: '[a, b]: 1',
    fix: 'Use the variable name as the key.',
    quickFix: false,
  },
  UNDECLARED_VALUE: {
    area: 'values',
    meaning: 'The edited values set a name that is no variable of the profile.',
    example: 'replica: 3',
    fix: 'Use one of the variables the message lists, or declare it under spec.variables.',
    quickFix: false,
  },
  VALUE_NOT_SCALAR: {
    area: 'values',
    meaning: 'A value is a map, list or null where one value is expected.',
    example: 'replicas: [3]',
    fix: 'Write a single value of the variable’s type.',
    quickFix: false,
  },
  VALUE_TYPE_MISMATCH: {
    area: 'values',
    meaning: "A value does not have its variable's type (integer, number, boolean, ipv4, cidr, semver, string).",
    example: 'replicas: three',
    fix: 'Write a value of the type the message names; quote text that YAML would read as a number.',
    quickFix: false,
  },
  VALUE_OUT_OF_RANGE: {
    area: 'values',
    meaning: "A number is below its variable's minimum or above its maximum.",
    example: 'replicas: 50   # maximum 20',
    fix: 'Use a number inside the range.',
    quickFix: false,
  },
  VALUE_NOT_IN_ENUM: {
    area: 'values',
    meaning: "A value is not one of its variable's enum members.",
    example: 'tier: gold   # enum [free, pro]',
    fix: 'Use one of the listed values.',
    quickFix: false,
  },
  VALUE_PATTERN_MISMATCH: {
    area: 'values',
    meaning: "A text value does not match its variable's pattern.",
    example: 'host: Web!   # pattern ^[a-z]+$',
    fix: 'Write a value that matches the pattern.',
    quickFix: false,
  },
} as const satisfies Record<string, FindingCodeInfo>;

/** Every code, with what the docs say about it. */
export const FINDING_CODES = { ...OTHER_CODES, ...SCHEMA_CODES, ...clusterCodes(), ...yamlCodes() } as const;

export type FindingCode = keyof typeof FINDING_CODES;

/** The codes of the profile's JSON Schema (without the CLUSTER_ prefix). */
export type ProfileSchemaCode = SchemaCode;

/** The codes the editor offers a quick fix for (quickFix: true above). */
export type QuickFixCode = { [C in FindingCode]: (typeof FINDING_CODES)[C]['quickFix'] extends true ? C : never }[FindingCode];

export function isFindingCode(code: unknown): code is FindingCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(FINDING_CODES, code);
}
