/**
 * The editor's chart cache (language-server/src/helmChartStore.ts) against the bed's real chart
 * sources: distribution's registry (TLS, own CA) and a classic index.yaml repository, charts
 * this project writes pushed with helm. Fetched in the background with `helm pull`, kept on disk,
 * read back offline; version lists from the registry's tags and the repository's index; a chart
 * that cannot be fetched is one message naming it; a fetch nobody wants any more is cancelled.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureChart, packageChart, startChartRepo, startOciRegistry, ensureHelmTools, type ChartRepo, type OciRegistry } from '@kplane/bed';
import { HelmChartStore } from '@kplane/language-server/helm-charts';
import { getLanguageService, textDocument } from '@kplane/language-server';
import { builtinKubeTypes } from '@kplane/language-server/kube-schemas';

describe('editor chart cache: real registry and chart repository', function () {
  let registry: OciRegistry;
  let repo: ChartRepo;
  let dir: string;
  let helmPath: string;

  before(async function () {
    this.timeout(1_800_000);
    dir = await mkdtemp(join(tmpdir(), 'kplane-chart-store-'));
    helmPath = (await ensureHelmTools()).helm;
    [registry, repo] = await Promise.all([startOciRegistry(), startChartRepo()]);
    for (const version of ['1.0.0', '1.1.0']) await registry.push(await packageChart(fixtureChart('web'), join(dir, 'pkg', version), version));
    await repo.add(await packageChart(fixtureChart('gateway'), join(dir, 'pkg', 'gateway')));
  });

  after(async () => {
    await Promise.all([registry?.stop(), repo?.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const newStore = (name: string, extra: Partial<ConstructorParameters<typeof HelmChartStore>[0]> = {}) => {
    let changes = 0;
    const store = new HelmChartStore({ helmPath, cacheRoot: join(dir, name), caFile: registry.caFile, quietMs: 0, onChange: () => changes++, ...extra });
    return { store, changes: () => changes };
  };

  it('fetches a chart in the background (OCI, exact version and range), then answers from memory with values, comments and schema', async () => {
    const { store, changes } = newStore('oci');
    const exact = { repo: registry.url, chart: 'web', version: '1.0.0' };
    assert.equal(store.chart(exact).state, 'fetching');
    await store.settled();
    assert.equal(changes(), 1);
    const ready = store.chart(exact);
    assert.ok(ready.state === 'ready', JSON.stringify(ready));
    assert.equal(ready.chart.version, '1.0.0');
    assert.equal((ready.chart.values as { replicaCount: number }).replicaCount, 1);
    assert.equal(ready.chart.docs['image\u0000tag'], 'Image tag of the web container.');
    assert.ok(ready.chart.schema && typeof ready.chart.schema === 'object');

    const range = { ...exact, version: '~1.0 || ^1.1.0' };
    store.chart(range);
    await store.settled();
    const resolved = store.chart(range);
    assert.ok(resolved.state === 'ready' && resolved.chart.version === '1.1.0', JSON.stringify(resolved));
    assert.deepEqual((await readdir(join(dir, 'oci', 'charts'), { recursive: true })).filter((f) => String(f).endsWith('.tgz')).map((f) => String(f).split('/').pop()).sort(), ['1.0.0.tgz', '1.1.0.tgz']);
  });

  it('lists versions newest first from the registry tags and from index.yaml', async () => {
    const { store } = newStore('versions');
    assert.equal(store.versions(registry.url, 'web').state, 'fetching');
    store.versions(repo.url, 'gateway');
    await store.settled();
    assert.deepEqual(store.versions(registry.url, 'web'), { state: 'ready', versions: ['1.1.0', '1.0.0'] });
    assert.deepEqual(store.versions(repo.url, 'gateway'), { state: 'ready', versions: ['0.3.0'] });
  });

  it('works offline from the disk cache once fetched: registry and repository stopped, a new store (a restarted editor)', async () => {
    const first = newStore('offline');
    const web = { repo: registry.url, chart: 'web', version: '1.1.0' };
    const gateway = { repo: repo.url, chart: 'gateway', version: '0.3.0' };
    first.store.chart(web);
    first.store.chart(gateway);
    first.store.versions(registry.url, 'web');
    await first.store.settled();
    await Promise.all([registry.stopServing(), repo.stopServing()]);
    try {
      const { store } = newStore('offline', { offline: true });
      store.chart(web);
      store.chart(gateway);
      store.versions(registry.url, 'web');
      await store.settled();
      assert.equal(store.chart(web).state, 'ready');
      assert.equal(store.chart(gateway).state, 'ready');
      assert.deepEqual(store.versions(registry.url, 'web'), { state: 'ready', versions: ['1.1.0', '1.0.0'] });
      const loaded = await store.load(web);
      assert.match(loaded.digest, /^sha256:[0-9a-f]{64}$/);
      await assert.rejects(store.load({ ...web, version: '1.0.0' }), /web 1\.0\.0 from .* is not in the chart cache .*fetch it once without --offline/);
      // Online but unreachable: the cached chart is still used.
      const online = newStore('offline').store;
      online.chart(web);
      await online.settled();
      assert.equal(online.chart(web).state, 'ready');
    } finally {
      await Promise.all([registry.start(), repo.start()]);
    }
  });

  it('a registry that needs a login (htpasswd): versions and chart with the user\'s helm registry login, or Docker\'s config; without one, a message naming the host and what to run; the password is never shown', async () => {
    const locked = await startOciRegistry({ name: 'registry-login', auth: 'htpasswd' });
    try {
      const { username, password } = locked.credentials!;
      await locked.push(await packageChart(fixtureChart('web'), join(dir, 'pkg', 'locked'), '1.0.0'));
      const none = join(dir, 'no-such-config.json');
      const lines: string[] = [];
      const store = (name: string, files: { registryConfig: string; dockerConfig: string }) =>
        newStore(name, { caFile: locked.caFile, credentialFiles: { ...files, repositoryConfig: none }, log: (line) => lines.push(line) }).store;

      // No login anywhere: the version list and the chart say which host wants one and what to run.
      const anonymous = store('login-none', { registryConfig: none, dockerConfig: none });
      anonymous.versions(locked.url, 'web');
      anonymous.chart({ repo: locked.url, chart: 'web', version: '1.0.0' });
      await anonymous.settled();
      const refused = anonymous.versions(locked.url, 'web');
      assert.ok(refused.state === 'unavailable', JSON.stringify(refused));
      assert.match(refused.message, new RegExp(`${locked.host} needs a login to list tags \\(no ${none}; no ${none}\\): run helm registry login ${locked.host}`));
      const chart = anonymous.chart({ repo: locked.url, chart: 'web', version: '1.0.0' });
      assert.ok(chart.state === 'unavailable' && /helm registry login/.test(chart.message), JSON.stringify(chart));

      // The real `helm registry login`, into a config file of its own.
      const registryConfig = join(dir, 'helm-registry.json');
      const login = promisify(execFile)(helmPath, ['registry', 'login', locked.host, '--username', username, '--password-stdin', '--ca-file', locked.caFile, '--registry-config', registryConfig]);
      login.child.stdin!.end(password);
      await login;
      const helmLogin = store('login-helm', { registryConfig, dockerConfig: none });
      helmLogin.versions(locked.url, 'web');
      helmLogin.chart({ repo: locked.url, chart: 'web', version: '1.0.0' });
      await helmLogin.settled();
      assert.deepEqual(helmLogin.versions(locked.url, 'web'), { state: 'ready', versions: ['1.0.0'] });
      assert.equal(helmLogin.chart({ repo: locked.url, chart: 'web', version: '1.0.0' }).state, 'ready');

      // Docker's config.json is Helm's fallback; a wrong password there is named by file, not shown.
      const dockerConfig = join(dir, 'docker-config.json');
      const auth = (pw: string) => JSON.stringify({ auths: { [`https://${locked.host}`]: { auth: Buffer.from(`${username}:${pw}`).toString('base64') } } });
      await writeFile(dockerConfig, auth(password));
      const docker = store('login-docker', { registryConfig: none, dockerConfig });
      docker.versions(locked.url, 'web');
      await docker.settled();
      assert.deepEqual(docker.versions(locked.url, 'web'), { state: 'ready', versions: ['1.0.0'] });
      await writeFile(dockerConfig, auth('not-the-password-5678'));
      const wrong = store('login-wrong', { registryConfig: none, dockerConfig });
      wrong.versions(locked.url, 'web');
      await wrong.settled();
      const rejected = wrong.versions(locked.url, 'web');
      assert.ok(rejected.state === 'unavailable', JSON.stringify(rejected));
      assert.equal(rejected.message, `${locked.host} rejected the login from ${dockerConfig} (401): run helm registry login ${locked.host} again`);
      for (const text of [refused.message, chart.message, rejected.message, ...lines]) {
        assert.ok(!text.includes(password) && !text.includes('not-the-password-5678') && !text.includes(Buffer.from(`${username}:${password}`).toString('base64')), text);
      }
    } finally {
      await locked.stop();
    }
  });

  it('a classic repository that needs a login: index.yaml and the chart with the login of helm repo add (repositories.yaml); without one, a message saying so; the password is never shown', async () => {
    const locked = await startChartRepo({ name: 'chartrepo-login', auth: 'basic' });
    try {
      const { username, password } = locked.credentials!;
      await locked.add(await packageChart(fixtureChart('gateway'), join(dir, 'pkg', 'gateway-locked')));
      const none = join(dir, 'no-such-config.json');
      const lines: string[] = [];
      const store = (name: string, repositoryConfig: string) => newStore(name, { credentialFiles: { registryConfig: none, dockerConfig: none, repositoryConfig }, log: (line) => lines.push(line) }).store;
      const ref = { repo: locked.url, chart: 'gateway', version: '0.3.0' };

      const anonymous = store('repo-login-none', none);
      anonymous.versions(locked.url, 'gateway');
      anonymous.chart(ref);
      await anonymous.settled();
      const refused = anonymous.versions(locked.url, 'gateway');
      assert.ok(refused.state === 'unavailable' && refused.message === `${locked.url} needs a login to read its index.yaml (no ${none}): add it with helm repo add --username; a layer's credentialsSecret is the agent's, in the cluster`, JSON.stringify(refused));
      const chart = anonymous.chart(ref);
      assert.ok(chart.state === 'unavailable' && /401|unauthorized/i.test(chart.message), JSON.stringify(chart));

      // The real `helm repo add --username --password-stdin`, into a repositories.yaml of its own.
      const repositoryConfig = join(dir, 'repositories.yaml');
      const add = promisify(execFile)(helmPath, ['repo', 'add', 'private', locked.url, '--username', username, '--password-stdin', '--repository-config', repositoryConfig, '--repository-cache', join(dir, 'repo-cache')]);
      add.child.stdin!.end(password);
      await add;
      const loggedIn = store('repo-login', repositoryConfig);
      loggedIn.versions(locked.url, 'gateway');
      loggedIn.chart(ref);
      await loggedIn.settled();
      assert.deepEqual(loggedIn.versions(locked.url, 'gateway'), { state: 'ready', versions: ['0.3.0'] });
      const fetched = loggedIn.chart(ref);
      assert.ok(fetched.state === 'ready' && fetched.chart.name === 'gateway', JSON.stringify(fetched));
      for (const text of [refused.message, chart.message, ...lines]) assert.ok(!text.includes(password), text);
    } finally {
      await locked.stop();
    }
  });

  it('a chart that does not exist is one message naming repo, chart and version and what to do', async () => {
    const { store } = newStore('missing');
    const ref = { repo: registry.url, chart: 'web', version: '9.9.9' };
    store.chart(ref);
    await store.settled();
    const lookup = store.chart(ref);
    assert.ok(lookup.state === 'unavailable', JSON.stringify(lookup));
    assert.match(lookup.message, /kplane cannot fetch the chart web 9\.9\.9 from oci:\/\/127\.0\.0\.1:\d+\/charts: .*check repo, chart and version/);
    // Without the registry's CA the fetch fails, and says so.
    const noCa = newStore('no-ca', { caFile: undefined }).store;
    noCa.chart({ ...ref, version: '1.0.0' });
    await noCa.settled();
    const untrusted = noCa.chart({ ...ref, version: '1.0.0' });
    assert.ok(untrusted.state === 'unavailable' && /certificate/.test(untrusted.message), JSON.stringify(untrusted));
  });

  it('a fetch the layer no longer needs (the version was edited) is cancelled and never written', async () => {
    const { store, changes } = newStore('cancel', { quietMs: 2000 });
    store.chart({ repo: registry.url, chart: 'web', version: '1.0.0' }, 'file:///p.profile.yaml@0#0');
    store.chart({ repo: registry.url, chart: 'web', version: '1.1.0' }, 'file:///p.profile.yaml@0#0');
    await store.settled();
    const files = (await readdir(join(dir, 'cancel', 'charts'), { recursive: true })).map(String).filter((f) => f.endsWith('.tgz'));
    assert.deepEqual(files.map((f) => f.split('/').pop()), ['1.1.0.tgz']);
    assert.equal(changes(), 1);
    // A closed document's fetches stop too.
    store.chart({ repo: registry.url, chart: 'web', version: '1.0.0' }, 'file:///p.profile.yaml@0#1');
    store.release('file:///p.profile.yaml');
    await store.settled();
    assert.equal(existsSync(join(dir, 'cancel', 'charts')) && (await readdir(join(dir, 'cancel', 'charts'), { recursive: true })).map(String).some((f) => f.endsWith('1.0.0.tgz')), false);
  });

  it('the editor renders a cached chart with the layer\'s values in the background and checks the rendered objects against the Kubernetes API: one finding on the helm key naming object, template and field; gone once the values are fixed', async () => {
    const { store } = newStore('rendered', { renderLayers: true });
    const service = getLanguageService({ helmCharts: store, kubeTypes: builtinKubeTypes });
    const text = (team: string) => `apiVersion: kplane.dev/v1alpha1
kind: ClusterProfile
metadata:
  name: gw
spec:
  version: 1.0.0
  layers:
    - name: gw
      namespace: edge
      helm:
        repo: ${repo.url}
        chart: gateway
        version: 0.3.0
        values:
          extraLabels: { team: ${JSON.stringify(team)} }
`;
    let version = 0;
    const helmFindings = (team: string) => service.doValidation(textDocument('file:///gw.profile.yaml', text(team), ++version)).filter((d) => String(d.code).startsWith('HELM_'));
    // Nothing while the chart is fetched, nor while it renders: validation never waits for helm.
    assert.deepEqual(helmFindings('not a label!'), []);
    await store.settled();
    // The chart is cached now; the render starts in the background: validating synchronously
    // would already return the finding.
    assert.deepEqual(helmFindings('not a label!'), [], 'validation waited for the render');
    await store.settled();
    const found = helmFindings('not a label!');
    assert.deepEqual(found.map((d) => [d.code, d.severity, d.range.start.line, d.range.start.character, d.range.end.character]), [['HELM_RENDERED_OBJECT', 1, 9, 6, 10]]);
    assert.match(String(found[0].message), /^Chart gateway 0\.3\.0 renders Deployment edge\/gw-gateway \(gateway\/templates\/deployment\.yaml\): metadata\.labels\.team: Deployment label value "not a label!" of "team" is invalid: .* \[MANIFEST_INVALID_LABEL\]$/);
    // What the server tells the extension, which reads these group/versions' live schemas too.
    assert.deepEqual(store.renderedGroupVersions('file:///gw.profile.yaml@'), ['apps/v1', 'v1']);
    assert.deepEqual(store.renderedGroupVersions('file:///other.profile.yaml@'), []);
    // Fixed values are rendered again, and the finding goes.
    helmFindings('edge');
    await store.settled();
    assert.deepEqual(helmFindings('edge'), []);
    // A template that fails with these values: one error on the helm key with Helm's reason.
    const broken = text('edge').replace('extraLabels: { team: "edge" }', 'controller: null');
    const brokenFindings = () => service.doValidation(textDocument('file:///gw.profile.yaml', broken, ++version)).filter((d) => String(d.code).startsWith('HELM_'));
    brokenFindings();
    await store.settled();
    const failed = brokenFindings();
    assert.deepEqual(failed.map((d) => [d.code, d.severity, d.range.start.line]), [['HELM_RENDER_FAILED', 1, 9]]);
    assert.match(String(failed[0].message), /^Chart gateway 0\.3\.0 did not render with the layer's values \(helm template\): .*deployment\.yaml.*nil pointer/);
  });

  it('the language service checks values against the fetched chart once the fetch ends', async () => {
    const { store } = newStore('service');
    const service = getLanguageService({ helmCharts: store });
    const text = `apiVersion: kplane.dev/v1alpha1
kind: ClusterProfile
metadata:
  name: web
spec:
  version: 1.0.0
  layers:
    - name: web
      helm:
        repo: ${registry.url}
        chart: web
        version: 1.1.0
        values:
          replicaCount: 11
`;
    const before = service.doValidation(textDocument('file:///w.profile.yaml', text, 1));
    assert.deepEqual(before.filter((d) => String(d.code).startsWith('HELM_')), []);
    await store.settled();
    const after = service.doValidation(textDocument('file:///w.profile.yaml', text, 2)).filter((d) => String(d.code).startsWith('HELM_'));
    assert.deepEqual(after.map((d) => [d.code, d.range.start.line, d.range.start.character]), [['HELM_VALUES_SCHEMA', 13, 24]]);
  });
});
