// Registry logins, found by name (templates say `credentials: ghcr`) or by registry host.
// Two sources: the action's `credentials` input (blocks of `field: value` lines, or JSON) and a
// docker `config.json`. Pure except for `loadDockerConfig`, which reads one file.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UserError, describeError } from '../../lib/errors.js';
import { editDistance } from '../../lib/suggest.js';

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

const FIELDS = ['registry', 'username', 'password', 'token'] as const;
type Field = (typeof FIELDS)[number];
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Parses the action's `credentials` input. Two forms, both safe for any secret value and any
 * actor name (`dependabot[bot]`):
 *
 * - the block form, one credential per block, one field per line, where a field's value is
 *   everything after the first `: ` up to the end of its line, taken literally (no quoting,
 *   no comments: `#`, `,`, `}`, quotes and `*` are just characters):
 *
 *       ghcr:
 *         registry: ghcr.io
 *         username: ${{ github.actor }}
 *         password: ${{ secrets.GITHUB_TOKEN }}
 *
 * - JSON (the text starts with `{`), for values that span lines:
 *   `{"ghcr": {"registry": "ghcr.io", "password": ${{ toJSON(secrets.X) }}, ...}}`.
 *
 * Errors name lines and field names, never a value: GitHub masks whole secrets only, so a
 * fragment of one printed in an error would be in clear.
 */
export function parseNamedCredentials(text: string): NamedCredential[] {
  if (text.trim() === '') return [];
  const entries = text.trimStart().startsWith('{') ? credentialsFromJson(text) : credentialsFromBlocks(text);
  const result: NamedCredential[] = [];
  const seen = new Set<string>();
  for (const { name, where, fields } of entries) {
    if (seen.has(name)) throw new UserError(`credentials: '${name}' is given twice`);
    seen.add(name);
    const { registry, username, password, token } = fields;
    if (!registry) throw new UserError(`credentials.${name}${where}: 'registry' is required (e.g. ghcr.io)`);
    if (token !== undefined && password !== undefined) throw new UserError(`credentials.${name}${where}: give either password or token, not both`);
    if (token !== undefined) {
      if (token === '') throw new UserError(`credentials.${name}.token is empty (is the secret set?)`);
      result.push({ name, registry: normalizeRegistryHost(registry), username: username || TOKEN_USERNAME, password: token });
      continue;
    }
    if (!username || password === undefined) throw new UserError(`credentials.${name}${where}: needs username and password, or token`);
    if (password === '') throw new UserError(`credentials.${name}.password is empty (is the secret set?)`);
    result.push({ name, registry: normalizeRegistryHost(registry), username, password });
  }
  return result;
}

interface RawCredential {
  name: string;
  /** ` (line N)` for the block form, for messages. */
  where: string;
  fields: Partial<Record<Field, string>>;
}

/**
 * A field name worth echoing in a message: a near miss of a known field (`pasword`). Anything
 * else could be a piece of a secret whose lines were split, so it is not printed.
 */
function printableKey(key: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z_-]{0,15}$/.test(key)) return undefined;
  return FIELDS.some((field) => editDistance(key.toLowerCase(), field) <= 2) ? key : undefined;
}

function credentialsFromBlocks(text: string): RawCredential[] {
  const entries: RawCredential[] = [];
  let current: RawCredential | undefined;
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const n = index + 1;
    if (line.trim() === '') return;
    if (!/^\s/.test(line)) {
      // `name:` starts a credential; anything after the colon is the old one-line form.
      const colon = line.indexOf(':');
      const name = colon > 0 ? line.slice(0, colon) : '';
      if (!NAME.test(name)) throw new UserError(`credentials line ${n}: expected a credential name followed by ':' (letters, digits, . _ -), one field per line below it`);
      if (line.slice(colon + 1).trim() !== '') {
        throw new UserError(`credentials line ${n}: write one field per line under '${name}:' (registry: ..., username: ..., password: ...); the one-line {registry, username, password} form breaks on values containing , } # or [`);
      }
      current = { name, where: ` (line ${n})`, fields: {} };
      entries.push(current);
      return;
    }
    const body = line.trimStart();
    const sep = body.indexOf(': ');
    const key = sep > 0 ? body.slice(0, sep) : body.endsWith(':') ? body.slice(0, -1) : '';
    if (!current) throw new UserError(`credentials line ${n}: a field before any credential name (start with 'NAME:' on a line of its own)`);
    if (!(FIELDS as readonly string[]).includes(key)) {
      const shown = printableKey(key);
      throw new UserError(
        shown
          ? `credentials.${current.name} line ${n}: unknown field(s) ${shown} (allowed: ${FIELDS.join(', ')})`
          : `credentials.${current.name} line ${n}: expected 'FIELD: value' (${FIELDS.join(', ')}; the value is everything after ': ', and cannot span lines: use the JSON form for that)`,
      );
    }
    if (current.fields[key as Field] !== undefined) throw new UserError(`credentials.${current.name} line ${n}: '${key}' is given twice`);
    current.fields[key as Field] = sep > 0 ? body.slice(sep + 2) : '';
  });
  for (const e of entries) {
    if (Object.keys(e.fields).length === 0) throw new UserError(`credentials.${e.name}${e.where}: no fields (registry, username, password or token, one per line, indented)`);
  }
  return entries;
}

function credentialsFromJson(text: string): RawCredential[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // JSON.parse errors quote the text; never echo secrets back.
    throw new UserError('credentials: not valid JSON (a text starting with { is read as JSON; build string values with toJSON(...))');
  }
  if (!isRecord(value)) throw new UserError('credentials: expected a JSON object of names to {registry, username, password} or {registry, token}');
  return Object.entries(value).map(([name, entry]) => {
    if (!NAME.test(name)) throw new UserError(`credentials: '${printableKey(name) ?? '(a name)'}' is not a valid name (letters, digits, . _ -)`);
    if (!isRecord(entry)) throw new UserError(`credentials.${name}: expected an object with registry and username/password or token`);
    const fields: Partial<Record<Field, string>> = {};
    for (const [key, v] of Object.entries(entry)) {
      if (!(FIELDS as readonly string[]).includes(key)) throw new UserError(`credentials.${name}: unknown field(s) ${printableKey(key) ?? '(a field)'} (allowed: ${FIELDS.join(', ')})`);
      if (v === undefined || v === null) continue;
      if (typeof v !== 'string' && typeof v !== 'number') throw new UserError(`credentials.${name}.${key}: expected a string`);
      fields[key as Field] = String(v);
    }
    return { name, where: '', fields };
  });
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
