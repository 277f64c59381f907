/**
 * Where the editor finds the user's registry logins (language-server/src/registryCredentials.ts):
 * Helm's paths from the environment as Helm reads them, docker-config `auths` keys in their
 * spellings, Helm's config before Docker's, repositories.yaml by URL, and why there is none;
 * a reason never holds the secret.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentialFiles, registryLogin, repositoryLogin } from '@kplane/language-server/helm-charts';

const dir = mkdtempSync(join(tmpdir(), 'kplane-creds-'));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;
const none = join(dir, 'none.json');

describe('registry credentials (the user\'s helm/docker logins)', () => {
  it('finds Helm\'s files as Helm does: HELM_REGISTRY_CONFIG, else HELM_CONFIG_HOME, else XDG_CONFIG_HOME; DOCKER_CONFIG', () => {
    assert.equal(credentialFiles({ HELM_REGISTRY_CONFIG: '/r.json', DOCKER_CONFIG: '/d' }).registryConfig, '/r.json');
    assert.equal(credentialFiles({ HELM_CONFIG_HOME: '/h' }).registryConfig, '/h/registry/config.json');
    assert.equal(credentialFiles({ XDG_CONFIG_HOME: '/x' }).registryConfig, '/x/helm/registry/config.json');
    assert.equal(credentialFiles({ XDG_CONFIG_HOME: '/x' }).repositoryConfig, '/x/helm/repositories.yaml');
    assert.equal(credentialFiles({ DOCKER_CONFIG: '/d' }).dockerConfig, '/d/config.json');
  });

  it('reads auths keys written as host, https://host and https://host/v1/, auth or username/password; Helm\'s config wins over Docker\'s', async () => {
    const helm = file('helm.json', JSON.stringify({ auths: { 'registry.example:5000': { auth: Buffer.from('helm:pw1').toString('base64') } } }));
    const docker = file('docker.json', JSON.stringify({ auths: { 'https://registry.example:5000/v1/': { username: 'docker', password: 'pw2' }, 'https://other.example': { auth: Buffer.from('o:pw3').toString('base64') } } }));
    const both = await registryLogin('registry.example:5000', { registryConfig: helm, dockerConfig: docker, repositoryConfig: none });
    assert.deepEqual(both.found, { authorization: basic('helm', 'pw1'), username: 'helm', password: 'pw1', source: helm });
    const dockerOnly = await registryLogin('registry.example:5000', { registryConfig: none, dockerConfig: docker, repositoryConfig: none });
    assert.deepEqual(dockerOnly.found, { authorization: basic('docker', 'pw2'), username: 'docker', password: 'pw2', source: docker });
    assert.deepEqual((await registryLogin('other.example', { registryConfig: none, dockerConfig: docker, repositoryConfig: none })).found?.authorization, basic('o', 'pw3'));
  });

  it('says why there is no login (no file, no entry, a credential helper, an identity token), naming files, never secrets', async () => {
    const helper = file('helper.json', JSON.stringify({ credsStore: 'desktop', auths: { 'id.example': { identitytoken: 'secret-token-1' } } }));
    const missing = await registryLogin('registry.example', { registryConfig: none, dockerConfig: helper, repositoryConfig: none });
    assert.equal(missing.found, undefined);
    assert.equal((missing as { why: string }).why, `no ${none}; ${helper} keeps registry.example's login in a credential helper, which the editor does not run`);
    const token = await registryLogin('id.example', { registryConfig: none, dockerConfig: helper, repositoryConfig: none });
    assert.match((token as { why: string }).why, /holds an identity token for id\.example, which the editor does not exchange/);
    assert.doesNotMatch(JSON.stringify(token), /secret-token-1/);
  });

  it('classic repositories: the repositories.yaml entry whose url matches (trailing slash or not)', async () => {
    const repos = file('repositories.yaml', 'apiVersion: ""\nrepositories:\n  - name: private\n    url: https://charts.example/private/\n    username: ci\n    password: pw4\n  - name: public\n    url: https://charts.example/public\n');
    const files = { registryConfig: none, dockerConfig: none, repositoryConfig: repos };
    assert.deepEqual((await repositoryLogin('https://charts.example/private', files)).found, { authorization: basic('ci', 'pw4'), username: 'ci', password: 'pw4', source: repos });
    assert.equal((await repositoryLogin('https://charts.example/public', files)).found, undefined);
  });
});
