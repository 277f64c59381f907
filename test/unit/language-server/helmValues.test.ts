/**
 * The editor's knowledge of Helm layers (language-server/src/service/helmValues.ts), with charts
 * this project writes (test/fixtures/charts/web has a values.schema.json, gateway has none):
 * completion and hover from values.yaml and its comments, schema findings on exact ranges,
 * unknown keys with "did you mean", version completion, and one information diagnostic for a
 * chart that cannot be fetched.
 */
import { strict as assert } from 'node:assert';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Position } from 'vscode-languageserver-types';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { chartFacts, getLanguageService, textDocument, type ChartFacts, type ChartLookup, type ChartRef, type HelmChartProvider, type RenderLookup, type RenderRequest, type VersionsLookup } from '@kplane/language-server';
import { builtinKubeTypes } from '@kplane/language-server/kube-schemas';
import { fixturesDir } from '../../fixtures/paths.js';
import { expectOne, rangeOf } from './helpers.js';

const URI = 'file:///work/helm.profile.yaml';

function fixtureFacts(name: string): ChartFacts {
  const dir = join(fixturesDir, 'charts', name);
  const read = (file: string) => (existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8') : undefined);
  return chartFacts({ chartYaml: read('Chart.yaml'), valuesYaml: read('values.yaml'), schemaJson: read('values.schema.json') }, { name, version: '0.0.0' });
}

/** Charts by name, as a provider that has them all already (or none, for `missing`). */
class FixtureCharts implements HelmChartProvider {
  readonly asked: { ref: ChartRef; owner?: string }[] = [];
  constructor(
    private readonly charts: Record<string, ChartFacts>,
    private readonly versionList: Record<string, VersionsLookup> = {},
  ) {}
  chart(ref: ChartRef, owner?: string): ChartLookup {
    this.asked.push({ ref, owner });
    const chart = this.charts[ref.chart];
    return chart ? { state: 'ready', chart } : { state: 'unavailable', message: `kplane cannot fetch the chart ${ref.chart} ${ref.version} from ${ref.repo}: not found.` };
  }
  versions(_repo: string, chart: string): VersionsLookup {
    return this.versionList[chart] ?? { state: 'fetching' };
  }
}

const charts = new FixtureCharts({ web: fixtureFacts('web'), gateway: fixtureFacts('gateway') }, { web: { state: 'ready', versions: ['1.1.0', '1.0.0', '0.9.0'] } });

function profile(helm: string, extra = ''): string {
  return `apiVersion: kplane.dev/v1alpha1
kind: ClusterProfile
metadata:
  name: charts
spec:
  version: 1.0.0
  variables:
    - name: replicas
      type: integer
      default: 3
${extra}  layers:
    - name: web
      namespace: web
      helm:
${helm}`;
}

const WEB = `        repo: oci://registry.example/charts
        chart: web
        version: 1.0.0
`;
const GATEWAY = `        repo: https://charts.example
        chart: gateway
        version: 0.3.0
`;

/** The diagnostics of the text; the profile's variable is used by a manifest layer, so only what the chart says remains. */
function diagnose(text: string, provider: HelmChartProvider = charts) {
  return getLanguageService({ helmCharts: provider }).doValidation(textDocument(URI, text)).filter((d) => d.code !== 'UNUSED_VARIABLE');
}

function cursor(textWithBar: string): { text: string; position: Position } {
  const at = textWithBar.indexOf('|');
  const text = textWithBar.slice(0, at) + textWithBar.slice(at + 1);
  return { text, position: textDocument(URI, text).positionAt(at) };
}

function complete(textWithBar: string, provider: HelmChartProvider = charts) {
  const { text, position } = cursor(textWithBar);
  return getLanguageService({ helmCharts: provider }).doComplete(textDocument(URI, text), position);
}

const docOf = (item: { documentation?: unknown }) => (item.documentation as { value?: string } | undefined)?.value ?? '';

describe('language service: Helm layer values against the chart', () => {
  it('a valid Helm layer gets no diagnostic, and the chart is asked for by repo, chart and version', () => {
    const provider = new FixtureCharts({ web: fixtureFacts('web') });
    const diagnostics = diagnose(profile(WEB + '        values:\n          replicaCount: 2\n          image: { tag: "1.28" }\n'), provider);
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(provider.asked[0].ref, { repo: 'oci://registry.example/charts', chart: 'web', version: '1.0.0' });
  });

  describe('completion', () => {
    it('offers the keys of values.yaml not yet written, with their comments and defaults', () => {
      const list = complete(profile(WEB + '        values:\n          replicaCount: 2\n          |\n'));
      const labels = list.items.map((i) => i.label).sort();
      assert.deepEqual(labels, ['greeting', 'image']);
      const greeting = list.items.find((i) => i.label === 'greeting')!;
      assert.match(docOf(greeting), /Greeting written into the settings ConfigMap\./);
      assert.match(docOf(greeting), /Default: `"hello"`/);
      assert.match(String(greeting.detail), /string = "hello"/);
    });

    it('offers nested keys from the chart (the first key of a nested map keeps its comment)', () => {
      const list = complete(profile(WEB + '        values:\n          image:\n            |\n'));
      assert.deepEqual(list.items.map((i) => i.label).sort(), ['repository', 'tag']);
      assert.match(docOf(list.items.find((i) => i.label === 'repository')!), /Image repository of the web container\./);
    });

    it('a mapping value inserts a block: `controller:` then an indented line', () => {
      const list = complete(profile(GATEWAY + '        values:\n          |\n'));
      const controller = list.items.find((i) => i.label === 'controller');
      assert.equal(controller?.insertText, 'controller:\n            $0');
      assert.match(docOf(list.items.find((i) => i.label === 'replicaCount')!), /^How many gateway replicas run\./);
    });

    it('offers the versions the repository has, newest first, after version:', () => {
      const list = complete(profile('        repo: oci://registry.example/charts\n        chart: web\n        version: |\n'));
      assert.deepEqual(list.items.map((i) => i.label), ['1.1.0', '1.0.0', '0.9.0']);
      assert.equal(list.isIncomplete, false);
    });

    it('while the version list is being fetched, completion says it is incomplete (the client asks again)', () => {
      const list = complete(profile('        repo: https://charts.example\n        chart: gateway\n        version: |\n'));
      assert.equal(list.isIncomplete, true);
    });

    it('completes on a new last line typed after the last parse (completion reuses that parse)', () => {
      const service = getLanguageService({ helmCharts: charts });
      const before = profile(WEB + '        values:\n          replicaCount: 2\n');
      service.doValidation(textDocument(URI, before, 1));
      const after = before + '          ';
      const document = textDocument(URI, after, 2);
      const labels = service.doComplete(document, document.positionAt(after.length)).items.map((i) => i.label).sort();
      assert.deepEqual(labels, ['greeting', 'image']);
    });

    it('outside helm.values the profile schema completes as before', () => {
      const labels = complete(profile(WEB + '        |\n')).items.map((i) => i.label);
      assert.ok(labels.includes('releaseName') && labels.includes('credentialsSecret'), labels.join(','));
    });
  });

  it('hover on a values key shows the chart comment and default', () => {
    const text = profile(GATEWAY + '        values:\n          controller:\n            service:\n              port: 8080\n');
    const document = textDocument(URI, text);
    const hover = getLanguageService({ helmCharts: charts }).doHover(document, document.positionAt(text.indexOf('port: 8080') + 1));
    const value = (hover?.contents as { value: string }).value;
    assert.match(value, /\*\*controller\.service\.port\*\*/);
    assert.match(value, /the port clients connect to/);
    assert.match(value, /Default: `80`/);
  });

  describe("values.schema.json (the web chart's)", () => {
    it('a number out of range is an error on the value itself', () => {
      const text = profile(WEB + '        values:\n          replicaCount: 50\n');
      const d = expectOne(diagnose(text), 'HELM_VALUES_SCHEMA', rangeOf(text, '50'));
      assert.match(String(d.message), /helm\.values\.replicaCount is 50; the chart wants it <= 10\. \(web 1\.0\.0 values\.schema\.json\)/);
      assert.equal(d.severity, 1);
    });

    it('an unknown nested key is on the key, with did you mean', () => {
      const text = profile(WEB + '        values:\n          image:\n            tagg: "1.28"\n');
      const d = expectOne(diagnose(text), 'HELM_VALUES_SCHEMA', rangeOf(text, 'tagg'));
      assert.match(String(d.message), /Unknown key "tagg" in helm\.values\.image: .*did you mean "tag"\?/);
    });

    it('a wrong type in a flow mapping is found on its exact range', () => {
      const text = profile(WEB + '        values: { image: { tag: 128 } }\n');
      const d = expectOne(diagnose(text), 'HELM_VALUES_SCHEMA', rangeOf(text, '128'));
      assert.match(String(d.message), /must be a string, not the number 128\. YAML read it as that: put the value in quotes\./);
    });

    it('variables are substituted before the check, and their values are not quoted in messages', () => {
      const ok = profile(WEB + '        values:\n          replicaCount: "${replicas}"\n');
      assert.deepEqual(diagnose(ok), []);
      const bad = profile(WEB + '        values:\n          replicaCount: "${replicas}"\n', '  values:\n    replicas: 40\n');
      const d = expectOne(diagnose(bad), 'HELM_VALUES_SCHEMA', rangeOf(bad, '"${replicas}"'));
      assert.match(String(d.message), /the value of "\$\{replicas\}"/);
      assert.doesNotMatch(String(d.message), /40/);
    });

    it("null removes a default as in Helm; the chart's own defaults are checked merged with the layer's", () => {
      // image: null deletes the image map; the schema does not require it, so this is valid.
      assert.deepEqual(diagnose(profile(WEB + '        values:\n          image: null\n')), []);
    });
  });

  describe('charts without a schema (gateway): keys values.yaml does not have', () => {
    it('a misspelt key is a warning on the key with did you mean', () => {
      const text = profile(GATEWAY + '        values:\n          controller:\n            logLeve: debug\n');
      const d = expectOne(diagnose(text), 'HELM_VALUES_UNKNOWN_KEY', rangeOf(text, 'logLeve'));
      assert.equal(d.severity, 2);
      assert.match(String(d.message), /has no value "logLeve" in helm\.values\.controller .*did you mean "logLevel"\?/);
    });

    it('the quick fix replaces the misspelt key with the suggestion, and nothing else', () => {
      const text = profile(GATEWAY + '        values:\n          controller:\n            logLeve: debug\n');
      const document = textDocument(URI, text);
      const service = getLanguageService({ helmCharts: charts });
      const d = expectOne(service.doValidation(document), 'HELM_VALUES_UNKNOWN_KEY', rangeOf(text, 'logLeve'));
      const actions = service.getCodeActions(document, d.range, [d]);
      assert.deepEqual(actions.map((a) => a.title), ['Change "logLeve" to "logLevel"']);
      assert.equal(actions[0].isPreferred, true);
      const edits = actions[0].edit!.changes![URI];
      assert.deepEqual(edits, [{ range: rangeOf(text, 'logLeve'), newText: 'logLevel' }]);
      const fixed = TextDocument.applyEdits(document, edits);
      assert.deepEqual(diagnose(fixed), []);
    });

    it('no quick fix when nothing is close enough to suggest', () => {
      const text = profile(GATEWAY + '        values:\n          controller:\n            zzzzzz: 1\n');
      const document = textDocument(URI, text);
      const service = getLanguageService({ helmCharts: charts });
      const d = expectOne(service.doValidation(document), 'HELM_VALUES_UNKNOWN_KEY', rangeOf(text, 'zzzzzz'));
      assert.deepEqual(service.getCodeActions(document, d.range, [d]), []);
    });

    it('free-form places ({} defaults, lists) and global take any key', () => {
      const text = profile(
        GATEWAY +
          '        values:\n          global: { imageRegistry: r.example }\n          extraLabels: { team: edge }\n          controller:\n            resources: { limits: { cpu: 100m } }\n          routes:\n            - host: a.example\n              tls: true\n',
      );
      assert.deepEqual(diagnose(text), []);
    });
  });

  it('a chart that cannot be fetched gives one information diagnostic on the helm key, naming the chart', () => {
    const text = profile('        repo: oci://registry.example/charts\n        chart: missing\n        version: 9.9.9\n        values:\n          a: 1\n          b: 2\n');
    const diagnostics = diagnose(text);
    const d = expectOne(diagnostics, 'HELM_CHART_UNAVAILABLE', rangeOf(text, 'helm'));
    assert.equal(d.severity, 3);
    assert.match(String(d.message), /missing 9\.9\.9 from oci:\/\/registry\.example\/charts/);
    assert.deepEqual(diagnostics.filter((x) => x.code !== 'HELM_CHART_UNAVAILABLE'), []);
  });

  describe('rendered objects (the provider renders; the service checks them with the Kubernetes API)', () => {
    const deployment = (labels: Record<string, string>) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'gw', namespace: 'web', labels }, spec: { selector: { matchLabels: { app: 'gw' } }, template: { metadata: { labels: { app: 'gw' } }, spec: { containers: [{ name: 'gw', image: 'gw:1' }] } } } });
    class Rendering extends FixtureCharts {
      readonly requests: RenderRequest[] = [];
      constructor(private readonly answer: RenderLookup) {
        super({ web: fixtureFacts('web') });
      }
      rendered(request: RenderRequest): RenderLookup {
        this.requests.push(request);
        return this.answer;
      }
    }
    const withKube = (provider: HelmChartProvider, text: string) =>
      getLanguageService({ helmCharts: provider, kubeTypes: builtinKubeTypes }).doValidation(textDocument(URI, text)).filter((d) => d.code !== 'UNUSED_VARIABLE');

    it('asks for the layer rendered with its substituted values, release name and namespace; findings go on the helm key', () => {
      const provider = new Rendering({ state: 'ready', rendered: { chart: 'web', version: '1.0.0', objects: [{ manifest: deployment({ team: 'not a label!' }) as never, source: 'web/templates/deployment.yaml' }] } });
      const text = profile(WEB + '        values:\n          replicaCount: ${replicas}\n');
      const d = expectOne(withKube(provider, text), 'HELM_RENDERED_OBJECT', rangeOf(text, 'helm'));
      assert.match(String(d.message), /^Chart web 1\.0\.0 renders Deployment web\/gw \(web\/templates\/deployment\.yaml\): metadata\.labels\.team: .*\[MANIFEST_INVALID_LABEL\]$/);
      assert.deepEqual(provider.requests[0], { ref: { repo: 'oci://registry.example/charts', chart: 'web', version: '1.0.0' }, releaseName: 'web', namespace: 'web', values: { replicaCount: 3 } });
    });

    it("a sensitive variable's value in a rendered object's finding is masked", () => {
      const provider = new Rendering({ state: 'ready', rendered: { chart: 'web', version: '1.0.0', objects: [{ manifest: deployment({ team: 'hunter2 secret!' }) as never }] } });
      const text = profile(WEB + '        values:\n          greeting: ${token}\n', '  values:\n    token: "hunter2 secret!"\n').replace('      default: 3\n', '      default: 3\n    - name: token\n      type: string\n      sensitive: true\n');
      const d = expectOne(withKube(provider, text), 'HELM_RENDERED_OBJECT', rangeOf(text, 'helm'));
      assert.doesNotMatch(String(d.message), /hunter2/);
      assert.match(String(d.message), /••••••/);
    });

    it('values the chart schema rejects are not rendered (Helm would refuse them); a failed render is one error on the helm key', () => {
      const failing = new Rendering({ state: 'failed', message: 'Chart web 1.0.0 did not render with the layer\'s values (helm template): boom' });
      const bad = profile(WEB + '        values:\n          replicaCount: 50\n');
      assert.deepEqual(withKube(failing, bad).map((d) => d.code), ['HELM_VALUES_SCHEMA']);
      assert.equal(failing.requests.length, 0);
      const text = profile(WEB + '        values:\n          replicaCount: 2\n');
      const d = expectOne(withKube(failing, text), 'HELM_RENDER_FAILED', rangeOf(text, 'helm'));
      assert.equal(d.severity, 1);
    });

    it('without the Kubernetes types nothing is rendered', () => {
      const provider = new Rendering({ state: 'pending' });
      assert.deepEqual(diagnose(profile(WEB + '        values:\n          replicaCount: 2\n'), provider), []);
      assert.equal(provider.requests.length, 0);
    });
  });

  it('a provider that is still fetching adds nothing (no error storm while a chart downloads)', () => {
    const fetching: HelmChartProvider = { chart: () => ({ state: 'fetching' }), versions: () => ({ state: 'fetching' }) };
    assert.deepEqual(diagnose(profile(WEB + '        values:\n          replicaCount: 50\n'), fetching), []);
  });
});
