/**
 * The user's registry and repository logins, found where Helm finds them, for the editor's
 * version lists (./helmChartStore.ts): OCI registries from Helm's registry config
 * (`helm registry login`; HELM_REGISTRY_CONFIG, else $HELM_CONFIG_HOME/registry/config.json, else
 * $XDG_CONFIG_HOME/helm/…, else ~/.config/helm/registry/config.json) with Docker's config as the
 * fallback, as Helm's registry client does (helm.sh/helm/v4 pkg/registry: a credentials store
 * with the Docker store as fallback); classic repositories from Helm's repositories.yaml
 * (`helm repo add --username`).
 *
 * A layer's `credentialsSecret` lives in the cluster and is the agent's; the editor never reads
 * cluster Secrets. Credentials go into an Authorization header and nowhere else: messages name
 * the host and the file, never a username or secret. Credential helpers (credsStore, credHelpers)
 * are not run: the editor does not start programs a config file names.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';

export interface Credentials {
  /** `Basic …` for the registry or repository (or its token service). */
  authorization: string;
  /** The same login, for `helm repo add --username … --password-stdin`. */
  username: string;
  password: string;
  /** The file it came from (for messages). */
  source: string;
}

export type CredentialsLookup = { found: Credentials } | { found?: undefined; why: string };

export interface CredentialFiles {
  /** Helm's registry config (docker config format). */
  registryConfig: string;
  /** Docker's config.json, Helm's fallback. */
  dockerConfig: string;
  /** Helm's repositories.yaml. */
  repositoryConfig: string;
}

/** Where Helm looks, from the environment as Helm reads it (helm.sh/helm/v4 pkg/helmpath). */
export function credentialFiles(env: NodeJS.ProcessEnv = process.env): CredentialFiles {
  const configHome = env.HELM_CONFIG_HOME || join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'helm');
  return {
    registryConfig: env.HELM_REGISTRY_CONFIG || join(configHome, 'registry', 'config.json'),
    dockerConfig: join(env.DOCKER_CONFIG || join(homedir(), '.docker'), 'config.json'),
    repositoryConfig: env.HELM_REPOSITORY_CONFIG || join(configHome, 'repositories.yaml'),
  };
}

const login = (username: string, password: string, source: string): Credentials => ({
  authorization: `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`,
  username,
  password,
  source,
});

/** The host of a docker-config `auths` key: "host", "https://host", "https://host/v1/". */
function authsHost(key: string): string {
  return key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** A docker-format config's login for `host`, or why there is none. */
async function dockerConfigLogin(path: string, host: string): Promise<CredentialsLookup> {
  const text = await readText(path);
  if (text === undefined) return { why: `no ${path}` };
  let config: { auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>; credsStore?: string; credHelpers?: Record<string, string> };
  try {
    config = JSON.parse(text) as typeof config;
  } catch {
    return { why: `${path} is not JSON` };
  }
  const entry = Object.entries(config.auths ?? {}).find(([key]) => authsHost(key) === host.toLowerCase())?.[1];
  if (entry?.username && entry.password) return { found: login(entry.username, entry.password, path) };
  if (entry?.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return { found: login(decoded.slice(0, colon), decoded.slice(colon + 1), path) };
  }
  if (entry?.identitytoken) return { why: `${path} holds an identity token for ${host}, which the editor does not exchange` };
  if (config.credHelpers?.[host] || config.credsStore) return { why: `${path} keeps ${host}'s login in a credential helper, which the editor does not run` };
  return { why: `no login for ${host} in ${path}` };
}

/** The login for an OCI registry host (host[:port]): Helm's registry config, then Docker's. */
export async function registryLogin(host: string, files: CredentialFiles): Promise<CredentialsLookup> {
  const helm = await dockerConfigLogin(files.registryConfig, host);
  if (helm.found) return helm;
  const docker = await dockerConfigLogin(files.dockerConfig, host);
  if (docker.found) return docker;
  return { why: `${helm.why}; ${docker.why}` };
}

/** The login of a classic repository from Helm's repositories.yaml (the entry whose url is `repo`). */
export async function repositoryLogin(repo: string, files: CredentialFiles): Promise<CredentialsLookup> {
  const text = await readText(files.repositoryConfig);
  if (text === undefined) return { why: `no ${files.repositoryConfig}` };
  let parsed: unknown;
  try {
    parsed = parseYaml(text, { maxAliasCount: 100 });
  } catch {
    return { why: `${files.repositoryConfig} is not YAML` };
  }
  const trim = (url: string) => url.replace(/\/+$/, '');
  const repositories = (parsed as { repositories?: { url?: unknown; username?: unknown; password?: unknown }[] } | null)?.repositories ?? [];
  const entry = Array.isArray(repositories) ? repositories.find((r) => typeof r?.url === 'string' && trim(r.url) === trim(repo)) : undefined;
  if (typeof entry?.username === 'string' && typeof entry.password === 'string' && entry.username) {
    return { found: login(entry.username, entry.password, files.repositoryConfig) };
  }
  return { why: `no login for ${repo} in ${files.repositoryConfig}` };
}
