/**
 * A CRD that a Helm layer's chart renders makes its kind known to the profile's manifest layers
 * in the language service (the editor; `kplane validate` passes its own renders, see
 * test/unit/cli-validateHelmCrds.test.ts): a custom resource in a manifest is checked against the
 * chart CRD's openAPIV3Schema, not "not checked", and not "not served" on a target cluster that
 * lacks the CRD (the profile installs it there). The chart is the project's gizmo-crds
 * (test/fixtures/charts/gizmo-crds), its CRD as `helm template --include-crds` prints it.
 * The manifests are checked again when a render brings other CRDs, and only then: the same CRDs
 * rendered again, or a layer whose render is pending, keep what was found.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Diagnostic } from 'vscode-languageserver-types';
import { getLanguageService, textDocument, type ChartFacts, type DiagnosticData, type HelmChartProvider, type RenderedChart, type RenderLookup } from '@kplane/language-server';
import { builtinKubeTypes } from '@kplane/language-server/kube-schemas';
import { KubeTypes, liveSchemaData, type SchemaTarget } from '@kplane/profile';
import { fixturesDir } from '../../fixtures/paths.js';
import { expectOne, rangeOf } from './helpers.js';
import { gizmoManifestProfile } from '../../fixtures/gizmoProfile.js';

const crdText = readFileSync(join(fixturesDir, 'charts', 'gizmo-crds', 'crds', 'gizmos.yaml'), 'utf8');
/** A render of gizmo-crds: new objects each time, as a new `helm template` gives. */
const render = (text = crdText): RenderedChart => ({ chart: 'gizmo-crds', version: '1.0.0', objects: [{ manifest: parse(text) as never, source: 'gizmo-crds/crds/gizmos.yaml' }] });

/** A live cluster serving the built-in API and no Gizmo CRD. */
function withoutCrd(): KubeTypes {
  const builtin = builtinKubeTypes().data;
  const served = Object.fromEntries(Object.entries(builtin.groupVersions).map(([gv, kinds]) => [gv, Object.fromEntries(Object.entries(kinds).map(([k, [scope]]) => [k, scope]))]));
  const documents = new Map(Object.entries(builtin.groupVersions).map(([gv, kinds]) => [gv, { kinds: Object.fromEntries(Object.entries(kinds).map(([k, [, def]]) => [k, def])), schemas: builtin.schemas, problems: [] }]));
  return new KubeTypes(liveSchemaData(builtin.kubernetes, served, documents));
}

const profile = (color: string) => gizmoManifestProfile({ name: 'gizmos', repo: 'https://charts.example', color });

describe('CRDs a Helm layer renders, known to the manifest layers (language service)', () => {
  const facts: ChartFacts = { name: 'gizmo-crds', version: '1.0.0', values: {}, docs: {}, subcharts: [] };
  let lookup: RenderLookup;
  const provider: HelmChartProvider = { chart: () => ({ state: 'ready', chart: facts }), versions: () => ({ state: 'fetching' }), rendered: () => lookup };
  const service = (targets?: SchemaTarget[]) => getLanguageService({ helmCharts: provider, kubeTypes: builtinKubeTypes, targets });
  const manifestFindings = (found: Diagnostic[]) => found.filter((d) => String(d.code).startsWith('MANIFEST_') || String(d.code).startsWith('KIND_'));
  beforeEach(() => (lookup = { state: 'ready', rendered: render() }));

  it('a colour outside the chart CRD\'s enum is an error on the value; a valid one gives nothing', () => {
    const green = profile('green');
    const d = expectOne(manifestFindings(service().doValidation(textDocument('file:///w/green.profile.yaml', green))), 'MANIFEST_INVALID_ENUM_VALUE', rangeOf(green, 'green'));
    assert.match(String(d.message), /Gizmo spec\.color is "green"; it must be one of red, blue/);
    assert.deepEqual(manifestFindings(service().doValidation(textDocument('file:///w/red.profile.yaml', profile('red')))), []);
  });

  it('against a target cluster without the CRD: not "not served" (the profile installs it), and its schema still applies', () => {
    const targets = [{ name: 'plain', kube: withoutCrd() }];
    assert.deepEqual(manifestFindings(service(targets).doValidation(textDocument('file:///w/red.profile.yaml', profile('red')))), []);
    const green = profile('green');
    expectOne(manifestFindings(service(targets).doValidation(textDocument('file:///w/green.profile.yaml', green))), 'MANIFEST_INVALID_ENUM_VALUE', rangeOf(green, 'green'));
  });

  it('hover on the custom resource\'s field shows the chart CRD\'s schema', () => {
    const text = profile('green');
    const s = service();
    const document = textDocument('file:///w/hover.profile.yaml', text);
    s.doValidation(document);
    const hover = s.doHover(document, rangeOf(text, 'color').start);
    assert.match(JSON.stringify(hover?.contents), /One of: `red`, `blue`.*CustomResourceDefinition gizmos\.gizmos\.kplane\.dev/);
  });

  it('checked again when a render brings the CRD, and when it changes it; not when the same CRD is rendered again or a render is pending', () => {
    const text = profile('green');
    const s = service();
    const document = textDocument('file:///w/recheck.profile.yaml', text);
    const enumFinding = () => manifestFindings(s.doValidation(document)).find((d) => d.code === 'MANIFEST_INVALID_ENUM_VALUE');

    // The chart is not rendered yet: the kind is unknown, noted only.
    lookup = { state: 'pending' };
    assert.deepEqual(manifestFindings(s.doValidation(document)).map((d) => d.code), ['MANIFEST_KIND_UNKNOWN']);
    // The render ends (the server checks every open document again): the same text, now checked against the CRD.
    lookup = { state: 'ready', rendered: render() };
    const first = enumFinding();
    assert.ok(first, 'the enum is checked once the chart is rendered');
    // The findings are the ones kept (the same path array): nothing was checked again.
    const kept = (first.data as DiagnosticData).path;
    lookup = { state: 'ready', rendered: render() };
    assert.equal((enumFinding()?.data as DiagnosticData).path, kept, 'the same CRD rendered again checks nothing again');
    lookup = { state: 'pending' };
    assert.equal((enumFinding()?.data as DiagnosticData).path, kept, 'a pending render keeps the last CRDs');
    // Another CRD (green allowed): checked again, nothing to report.
    lookup = { state: 'ready', rendered: render(crdText.replace('enum: [red, blue]', 'enum: [red, blue, green]')) };
    assert.deepEqual(manifestFindings(s.doValidation(document)), []);
    // A render that fails drops the chart's CRDs.
    lookup = { state: 'failed', message: 'boom' };
    assert.deepEqual(manifestFindings(s.doValidation(document)).map((d) => d.code), ['MANIFEST_KIND_UNKNOWN']);
  });
});
