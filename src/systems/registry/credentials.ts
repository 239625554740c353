// Registry logins, found by name (templates say `credentials: ghcr`) or by registry host.
// Two sources: the action's `credentials` input (a YAML/JSON mapping of names to logins) and a
// docker `config.json`. Pure except for `loadDockerConfig`, which reads one file.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { UserError, describeError } from '../../lib/errors.js';

/** One login. `token` is a registry access token used as the password (see docs/registry.md). */
export interface RegistryLogin {
  registry: string;
  username?: string;
  password?: string;
  /** docker `identitytoken`: an OAuth2 refresh token for the registry's token server. */
  identityToken?: string;
}

export interface NamedCredential extends RegistryLogin {
  name: string;
}

export interface CredentialSources {
  named?: readonly NamedCredential[];
  dockerConfig?: readonly RegistryLogin[];
}

/** The user name sent with a `{registry, token}` credential when none is given. */
export const TOKEN_USERNAME = 'token';

/** `https://index.docker.io/v1/` -> `docker.io`, `ghcr.io/` -> `ghcr.io`. */
export function normalizeRegistryHost(text: string): string {
  let host = text.trim().replace(/^[a-z]+:\/\//i, '');
  host = host.split('/')[0] ?? host;
  host = host.toLowerCase();
  if (host === 'index.docker.io' || host === 'registry-1.docker.io' || host === 'registry.hub.docker.com') return 'docker.io';
  return host;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses the action's `credentials` input: YAML or JSON, a mapping of name to
 * `{registry, username, password}` or `{registry, token}` (optionally with `username`).
 */
export function parseNamedCredentials(text: string): NamedCredential[] {
  if (text.trim() === '') return [];
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (err) {
    // The YAML error may quote the text; never echo secrets back.
    throw new UserError(`credentials: not valid YAML or JSON (${(describeError(err).split('\n')[0] ?? '').replace(/:.*$/, '')})`);
  }
  if (value === null || value === undefined) return [];
  if (!isRecord(value)) throw new UserError('credentials: expected a mapping of names to {registry, username, password} or {registry, token}');
  const result: NamedCredential[] = [];
  for (const [name, entry] of Object.entries(value)) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new UserError(`credentials: '${name}' is not a valid name (letters, digits, . _ -)`);
    if (!isRecord(entry)) throw new UserError(`credentials.${name}: expected a mapping with registry and username/password or token`);
    const known = new Set(['registry', 'username', 'password', 'token']);
    const unknown = Object.keys(entry).filter((k) => !known.has(k));
    if (unknown.length > 0) throw new UserError(`credentials.${name}: unknown field(s) ${unknown.join(', ')} (allowed: registry, username, password, token)`);
    const str = (key: string): string | undefined => {
      const v = entry[key];
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'string' && typeof v !== 'number') throw new UserError(`credentials.${name}.${key}: expected a string`);
      return String(v);
    };
    const registry = str('registry');
    if (!registry) throw new UserError(`credentials.${name}: 'registry' is required (e.g. ghcr.io)`);
    const username = str('username');
    const password = str('password');
    const token = str('token');
    if (token !== undefined && password !== undefined) throw new UserError(`credentials.${name}: give either password or token, not both`);
    if (token !== undefined) {
      if (token === '') throw new UserError(`credentials.${name}.token is empty (is the secret set?)`);
      result.push({ name, registry: normalizeRegistryHost(registry), username: username || TOKEN_USERNAME, password: token });
      continue;
    }
    if (!username || password === undefined) throw new UserError(`credentials.${name}: needs username and password, or token`);
    if (password === '') throw new UserError(`credentials.${name}.password is empty (is the secret set?)`);
    result.push({ name, registry: normalizeRegistryHost(registry), username, password });
  }
  return result;
}

/** Parses the text of a docker `config.json` (or containers `auth.json`): its `auths` section. */
export function parseDockerConfig(text: string, where = 'docker config'): RegistryLogin[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UserError(`${where}: not valid JSON`);
  }
  if (!isRecord(value)) throw new UserError(`${where}: expected a JSON object`);
  const auths = value.auths;
  if (auths === undefined) return [];
  if (!isRecord(auths)) throw new UserError(`${where}: 'auths' must be an object`);
  const result: RegistryLogin[] = [];
  for (const [key, entry] of Object.entries(auths)) {
    if (!isRecord(entry)) continue;
    const login: RegistryLogin = { registry: normalizeRegistryHost(key) };
    if (typeof entry.auth === 'string' && entry.auth !== '') {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw new UserError(`${where}: the 'auth' of ${key} is not base64 of user:password`);
      login.username = decoded.slice(0, colon);
      login.password = decoded.slice(colon + 1);
    }
    if (typeof entry.username === 'string' && entry.username) login.username = entry.username;
    if (typeof entry.password === 'string' && entry.password) login.password = entry.password;
    if (typeof entry.identitytoken === 'string' && entry.identitytoken) login.identityToken = entry.identitytoken;
    if (login.password !== undefined || login.identityToken !== undefined) result.push(login);
  }
  return result;
}

/** The default docker config path: `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`. */
export function defaultDockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.DOCKER_CONFIG || join(homedir(), '.docker'), 'config.json');
}

/** Reads a docker config file; a missing file at the default path is no credentials, not an error. */
export function loadDockerConfig(path: string, options: { optional?: boolean } = {}): RegistryLogin[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (options.optional && (err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new UserError(`cannot read docker config ${path}: ${describeError(err)}`);
  }
  return parseDockerConfig(text, path);
}

/**
 * Finds a login by credential name, else by registry host: named credentials first, then
 * the docker config. Returns undefined when nothing matches (anonymous access).
 */
export function resolveCredentials(nameOrHost: string, sources: CredentialSources): RegistryLogin | undefined {
  const byName = sources.named?.find((c) => c.name === nameOrHost);
  if (byName) return byName;
  const host = normalizeRegistryHost(nameOrHost);
  return sources.named?.find((c) => c.registry === host) ?? sources.dockerConfig?.find((c) => c.registry === host);
}

/** Like {@link resolveCredentials} for a name that must exist: a clear error otherwise. */
export function requireCredentials(name: string, sources: CredentialSources): RegistryLogin {
  const found = sources.named?.find((c) => c.name === name);
  if (!found) {
    const known = sources.named?.map((c) => c.name) ?? [];
    throw new UserError(`no credentials named '${name}'${known.length ? ` (known: ${known.join(', ')})` : ' (the credentials input is empty)'}`);
  }
  return found;
}

/** Every secret value in the logins, for core.setSecret. */
export function secretValues(logins: readonly RegistryLogin[]): string[] {
  const values: string[] = [];
  for (const l of logins) {
    if (l.password) values.push(l.password, Buffer.from(`${l.username ?? ''}:${l.password}`).toString('base64'));
    if (l.identityToken) values.push(l.identityToken);
  }
  return values;
}

/**
 * A docker config JSON for these logins, as a `kubernetes.io/dockerconfigjson` Secret's
 * `.dockerconfigjson` wants it (kaniko reads the same file).
 */
export function toDockerConfigJson(logins: readonly RegistryLogin[]): string {
  const auths: Record<string, Record<string, string>> = {};
  for (const login of logins) {
    const key = login.registry === 'docker.io' ? 'https://index.docker.io/v1/' : login.registry;
    const entry: Record<string, string> = {};
    if (login.username !== undefined && login.password !== undefined) {
      entry.username = login.username;
      entry.password = login.password;
      entry.auth = Buffer.from(`${login.username}:${login.password}`).toString('base64');
    }
    if (login.identityToken) entry.identitytoken = login.identityToken;
    auths[key] = entry;
  }
  return JSON.stringify({ auths });
}

/** A lookup by registry host over both sources, for the registry client. */
export function credentialLookup(sources: CredentialSources): (registry: string) => RegistryLogin | undefined {
  return (registry) => {
    const host = normalizeRegistryHost(registry);
    return sources.named?.find((c) => c.registry === host) ?? sources.dockerConfig?.find((c) => c.registry === host);
  };
}
