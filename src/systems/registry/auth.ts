// Registry authentication: the `WWW-Authenticate` challenge (Basic or Bearer), and the
// bearer-token flow of the distribution token spec with tokens cached per scope set.
import { UserError } from '../../lib/errors.js';
import type { RegistryLogin } from './credentials.js';

export interface Challenge {
  scheme: string; // lower case: 'basic' | 'bearer' | ...
  params: Record<string, string>;
}

/**
 * Parses a `WWW-Authenticate` header: `Bearer realm="https://x/token",service="x",scope="a b"`.
 * Several challenges may be comma separated; params may be quoted (with \" escapes) or tokens.
 */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  if (header === undefined) return [];
  const text = Array.isArray(header) ? header.join(', ') : header;
  const result: Challenge[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && /[\s,]/.test(text[i]!)) i++;
  };
  const readToken = () => {
    const start = i;
    while (i < text.length && /[^\s,=]/.test(text[i]!)) i++;
    return text.slice(start, i);
  };
  let current: Challenge | undefined;
  while (i < text.length) {
    skipSpace();
    if (i >= text.length) break;
    const word = readToken();
    let j = i;
    while (j < text.length && text[j] === ' ') j++;
    if (text[j] === '=' && current && !(text[j + 1] === '=' || j + 1 >= text.length)) {
      // key=value inside the current challenge
      i = j + 1;
      while (i < text.length && text[i] === ' ') i++;
      let value = '';
      if (text[i] === '"') {
        i++;
        while (i < text.length && text[i] !== '"') {
          if (text[i] === '\\' && i + 1 < text.length) i++;
          value += text[i];
          i++;
        }
        i++;
      } else {
        value = readToken();
      }
      current.params[word.toLowerCase()] = value;
    } else if (word) {
      current = { scheme: word.toLowerCase(), params: {} };
      result.push(current);
      // token68 form (e.g. `Negotiate abc==`) is not used by registries: skip it
    } else {
      i++;
    }
  }
  return result;
}

/** `repository:acme/dev:pull,push` */
export function repositoryScope(repository: string, actions: readonly string[]): string {
  return `repository:${repository}:${actions.join(',')}`;
}

/** Merges scopes for the same resource (`repository:a:pull` + `repository:a:push` -> `pull,push`). */
export function mergeScopes(scopes: readonly string[]): string[] {
  const byResource = new Map<string, Set<string>>();
  for (const scope of scopes.flatMap((s) => s.split(' ')).filter(Boolean)) {
    const last = scope.lastIndexOf(':');
    const resource = last > 0 ? scope.slice(0, last) : scope;
    const actions = last > 0 ? scope.slice(last + 1).split(',') : [];
    const set = byResource.get(resource) ?? new Set<string>();
    actions.filter(Boolean).forEach((a) => set.add(a));
    byResource.set(resource, set);
  }
  return [...byResource.entries()].map(([resource, actions]) => (actions.size ? `${resource}:${[...actions].sort().join(',')}` : resource)).sort();
}

export interface TokenResponse {
  token: string;
  /** Seconds, default 60 as the spec says. */
  expiresIn?: number;
}

export type TokenRequester = (realm: string, params: { service?: string; scopes: string[] }, login: RegistryLogin | undefined) => Promise<TokenResponse>;

interface CachedToken {
  token: string;
  /** When to fetch a new one: a little before it expires. */
  refreshAt: number;
}

interface RegistryAuthState {
  scheme: 'none' | 'basic' | 'bearer';
  realm?: string;
  service?: string;
  tokens: Map<string, Promise<CachedToken>>;
}

/** Refresh a token this long before it expires (or a quarter of its life, if shorter). */
const EXPIRY_MARGIN_MS = 10_000;

/**
 * Remembers, per registry, how it authenticates; hands out the Authorization header for a
 * request's scopes, fetching (once, even under concurrency) and caching bearer tokens.
 */
export class Authenticator {
  private readonly state = new Map<string, RegistryAuthState>();

  constructor(
    private readonly loginFor: (registry: string) => RegistryLogin | undefined,
    private readonly requestToken: TokenRequester,
    private readonly now: () => number = Date.now,
  ) {}

  private get(registry: string): RegistryAuthState {
    let s = this.state.get(registry);
    if (!s) {
      s = { scheme: 'none', tokens: new Map() };
      this.state.set(registry, s);
    }
    return s;
  }

  /** Headers to send before any challenge, from what earlier requests taught us. */
  async headers(registry: string, scopes: readonly string[]): Promise<Record<string, string>> {
    const s = this.get(registry);
    if (s.scheme === 'basic') {
      const login = this.loginFor(registry);
      if (login?.username !== undefined && login.password !== undefined) {
        return { Authorization: `Basic ${Buffer.from(`${login.username}:${login.password}`).toString('base64')}` };
      }
      return {};
    }
    if (s.scheme === 'bearer') {
      const token = await this.token(registry, s, mergeScopes(scopes), false);
      return { Authorization: `Bearer ${token.token}` };
    }
    return {};
  }

  /**
   * Learns from a 401: switches the registry to basic or bearer and fetches a fresh token.
   * `retried` says the request already carried credentials that were refused.
   */
  async challenged(registry: string, header: string | string[] | undefined, scopes: readonly string[], retried: boolean): Promise<void> {
    const challenges = parseChallenges(header);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    const s = this.get(registry);
    const login = this.loginFor(registry);
    if (bearer?.params.realm) {
      if (retried && s.scheme === 'bearer' && bearer.params.error !== 'insufficient_scope' && bearer.params.error !== 'invalid_token') {
        throw authError(registry, login);
      }
      if (retried && bearer.params.error === 'insufficient_scope') {
        throw new UserError(`${registry}: access denied for ${bearer.params.scope ?? scopes.join(' ')}${login ? ` as '${login.username ?? 'identity token'}'` : ' (anonymous: no credentials for this registry)'}`);
      }
      s.scheme = 'bearer';
      s.realm = bearer.params.realm;
      s.service = bearer.params.service;
      const wanted = mergeScopes([...scopes, ...(bearer.params.scope ? [bearer.params.scope] : [])]);
      await this.token(registry, s, wanted, true);
      // also remember it under the caller's own scope key so `headers()` finds it
      const key = mergeScopes(scopes).join(' ');
      if (key !== wanted.join(' ')) s.tokens.set(key, s.tokens.get(wanted.join(' '))!);
      return;
    }
    if (basic) {
      if (!login || login.password === undefined) {
        throw new UserError(`${registry} requires a login and no credentials were found for it (give them by name in 'credentials' or in docker config.json)`);
      }
      if (retried && s.scheme === 'basic') throw authError(registry, login);
      s.scheme = 'basic';
      return;
    }
    throw new UserError(`${registry}: the registry refused the request (401) without a usable challenge (WWW-Authenticate: ${String(header ?? 'none')})`);
  }

  private token(registry: string, s: RegistryAuthState, scopes: string[], fresh: boolean): Promise<CachedToken> {
    const key = scopes.join(' ');
    const cached = s.tokens.get(key);
    if (cached && !fresh) {
      return cached.then((t) => (t.refreshAt > this.now() ? t : this.token(registry, s, scopes, true)));
    }
    const pending = this.requestToken(s.realm!, { service: s.service, scopes }, this.loginFor(registry)).then((r) => {
      const lifetimeMs = (r.expiresIn && r.expiresIn > 0 ? r.expiresIn : 60) * 1000;
      return { token: r.token, refreshAt: this.now() + lifetimeMs - Math.min(EXPIRY_MARGIN_MS, lifetimeMs / 4) };
    });
    s.tokens.set(key, pending);
    pending.catch(() => {
      if (s.tokens.get(key) === pending) s.tokens.delete(key);
    });
    return pending;
  }
}

function authError(registry: string, login: RegistryLogin | undefined): UserError {
  return new UserError(login ? `${registry}: authentication failed for user '${login.username ?? '(identity token)'}' (wrong username or password?)` : `${registry}: authentication required and no credentials were found for it`);
}
