// The registry's HTTP layer: base URLs (with the plain-HTTP fallback for insecure hosts), auth
// challenges and tokens, retries with the one backoff rule, and errors in the registry's words.
// blobs.ts and client.ts build the distribution API on it.
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { UserError, describeError } from '../../lib/errors.js';
import { Authenticator, type TokenResponse } from './auth.js';
import type { RegistryLogin } from './credentials.js';
import { normalizeRegistryHost } from './credentials.js';
import { DEFAULT_BACKOFF, discardBody, isRetryableError, isRetryableStatus, looksLikeTlsMismatch, readBody, send, type RequestBody, type TransportResponse } from './transport.js';
import { backoffDelay, retryAfterSeconds, sleep, type RetryOptions } from '../../lib/retry.js';

/** A repository in a registry: `{registry: 'ghcr.io', repository: 'acme/dev'}`. */
export interface RepositoryName {
  registry: string;
  repository: string;
}

export interface RegistryClientOptions {
  /** Login for a registry host; undefined means anonymous. */
  credentials?: (registry: string) => RegistryLogin | undefined;
  /** Hosts (host or host:port) reached over plain HTTP or TLS without verification. */
  insecure?: readonly string[];
  backoff?: Partial<RetryOptions>;
  /** Uploads larger than this go in chunks (PATCH) rather than one PUT. */
  chunkSize?: number;
  userAgent?: string;
  timeoutMs?: number;
}

/** An error response from a registry, with its HTTP status and distribution error code. */
export class RegistryError extends UserError {
  constructor(
    message: string,
    readonly status: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

export interface Operation {
  registry: string;
  method: string;
  /** A path under the registry (`/v2/...`) or an absolute URL (upload locations). */
  path: string;
  headers?: Record<string, string>;
  body?: RequestBody;
  scopes: string[];
  /** Statuses returned to the caller; anything else is an error. */
  expect: number[];
  /** For messages: `GET manifest 127.0.0.1:5000/a:test`. */
  what: string;
  /** The body can be sent only once: no transport-level retry (the caller retries whole). */
  noRetry?: boolean;
}

export const DIGEST_HEADER = 'docker-content-digest';

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function formatRepository(repo: RepositoryName): string {
  return `${repo.registry}/${repo.repository}`;
}

export function header(res: TransportResponse, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** A stream that passes bytes through and fails at the end if they do not hash to `digest`. */
export function digestVerifier(digest: string, what: string): Transform {
  const [algorithm] = digest.split(':');
  if (algorithm !== 'sha256' && algorithm !== 'sha512') throw new UserError(`${what}: unsupported digest algorithm in ${digest}`);
  const hash = createHash(algorithm);
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      hash.update(chunk);
      cb(null, chunk);
    },
    flush(cb: TransformCallback) {
      const actual = `${algorithm}:${hash.digest('hex')}`;
      cb(actual === digest ? null : new UserError(`${what}: digest mismatch: expected ${digest}, got ${actual}`));
    },
  });
}

export class RegistryHttp {
  private readonly auth: Authenticator;
  private readonly insecure: Set<string>;
  protected readonly backoff: RetryOptions;
  private readonly baseUrls = new Map<string, Promise<string>>();
  readonly chunkSize: number;

  constructor(private readonly options: RegistryClientOptions = {}) {
    this.insecure = new Set((options.insecure ?? []).map((h) => normalizeRegistryHost(h)));
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.chunkSize = options.chunkSize ?? 64 * 1024 * 1024;
    this.auth = new Authenticator(
      (r) => options.credentials?.(r),
      (realm, params, login) => this.fetchToken(realm, params, login),
    );
  }

  isInsecure(registry: string): boolean {
    return this.insecure.has(normalizeRegistryHost(registry));
  }

  /**
   * `https://host` normally. For an insecure host: HTTPS without verification if it answers,
   * else plain HTTP. When the host names a port, only one of the two can answer there, so the
   * cheaper question goes first: an anonymous `GET /v2/` in plain HTTP, taken only when a
   * registry answers it (200 or 401). A TLS port answers 400 or drops it, and HTTPS follows.
   */
  protected baseUrl(registry: string): Promise<string> {
    const host = registry === 'docker.io' ? 'registry-1.docker.io' : registry;
    if (!this.isInsecure(registry)) return Promise.resolve(`https://${host}`);
    let known = this.baseUrls.get(host);
    if (!known) {
      known = (async () => {
        if (/:\d+$/.test(host) && (await answersPlainHttp(host))) return `http://${host}`;
        try {
          const res = await send({ method: 'GET', url: new URL(`https://${host}/v2/`), headers: {}, insecureTls: true, timeoutMs: 10_000 });
          await discardBody(res);
          return `https://${host}`;
        } catch (err) {
          if (looksLikeTlsMismatch(err)) return `http://${host}`;
          throw err;
        }
      })();
      this.baseUrls.set(host, known);
      known.catch(() => this.baseUrls.delete(host));
    }
    return known;
  }

  private url(base: string, path: string): URL {
    return /^https?:\/\//.test(path) ? new URL(path) : new URL(path, base);
  }

  protected userAgent(): string {
    return this.options.userAgent ?? 'build-image/0.1';
  }

  /** Sends an operation with auth and retries; returns the response for an expected status. */
  protected async request(op: Operation): Promise<TransportResponse> {
    warmDigests();
    let attempt = 0;
    let authRetried = false;
    for (;;) {
      attempt++;
      let res: TransportResponse;
      try {
        const base = await this.baseUrl(op.registry);
        const auth = await this.auth.headers(op.registry, op.scopes);
        res = await send({
          method: op.method,
          url: this.url(base, op.path),
          headers: { 'User-Agent': this.userAgent(), ...auth, ...op.headers },
          body: op.body,
          insecureTls: this.isInsecure(op.registry),
          timeoutMs: this.options.timeoutMs,
        });
      } catch (err) {
        if (err instanceof UserError) throw err;
        if (isRetryableError(err) && attempt < this.backoff.attempts && !op.noRetry) {
          await sleep(backoffDelay(attempt, this.backoff));
          continue;
        }
        throw new RegistryError(`${op.what}: cannot reach ${op.registry}: ${describeError(err)}${attempt > 1 ? ` (after ${attempt} attempts)` : ''}`, 0, (err as NodeJS.ErrnoException).code);
      }
      if (res.status === 401 && !authRetried) {
        await discardBody(res);
        await this.auth.challenged(op.registry, res.headers['www-authenticate'], op.scopes, false);
        authRetried = true;
        attempt--;
        continue;
      }
      if (res.status === 401) {
        await discardBody(res);
        await this.auth.challenged(op.registry, res.headers['www-authenticate'], op.scopes, true);
        throw new RegistryError(`${op.what}: authentication failed`, 401);
      }
      if (op.expect.includes(res.status)) return res;
      if (isRetryableStatus(res.status) && attempt < this.backoff.attempts && !op.noRetry) {
        await discardBody(res);
        await sleep(backoffDelay(attempt, this.backoff, retryAfterSeconds(res.headers['retry-after'])));
        continue;
      }
      throw await this.errorFrom(op, res, attempt);
    }
  }

  private async errorFrom(op: Operation, res: TransportResponse, attempt: number): Promise<RegistryError> {
    let detail = '';
    let code: string | undefined;
    try {
      const text = (await readBody(res, 64 * 1024)).toString('utf8');
      try {
        const body = JSON.parse(text) as { errors?: { code?: string; message?: string; detail?: unknown }[] };
        const first = body.errors?.[0];
        code = first?.code;
        detail = (body.errors ?? []).map((e) => [e.code, e.message].filter(Boolean).join(': ')).join('; ');
      } catch {
        detail = text.trim().split('\n')[0]?.slice(0, 200) ?? '';
      }
    } catch {
      // no body
    }
    const after = attempt > 1 ? ` after ${attempt} attempts` : '';
    const hint = res.status === 403 ? ' (access denied: check the credentials and their permissions)' : res.status === 404 ? ' (not found)' : '';
    return new RegistryError(`${op.what}: ${op.registry} answered ${res.status}${after}${detail ? `: ${detail}` : ''}${hint}`, res.status, code);
  }

  private async fetchToken(realm: string, params: { service?: string; scopes: string[] }, login: RegistryLogin | undefined): Promise<TokenResponse> {
    const url = new URL(realm);
    const realmHost = url.host;
    if (url.protocol === 'http:' && !this.isInsecure(realmHost) && !this.isInsecure(url.hostname)) {
      throw new UserError(`token server ${realm} is plain HTTP; list ${realmHost} as insecure to allow it`);
    }
    let body: Buffer | undefined;
    const headers: Record<string, string> = { 'User-Agent': this.userAgent(), Accept: 'application/json' };
    let method = 'GET';
    if (login?.identityToken) {
      method = 'POST';
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: login.identityToken, client_id: 'build-image' });
      if (params.service) form.set('service', params.service);
      if (params.scopes.length) form.set('scope', params.scopes.join(' '));
      body = Buffer.from(form.toString());
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
    } else {
      if (params.service) url.searchParams.set('service', params.service);
      for (const scope of params.scopes) url.searchParams.append('scope', scope);
      if (login?.username !== undefined && login.password !== undefined) {
        headers.Authorization = `Basic ${Buffer.from(`${login.username}:${login.password}`).toString('base64')}`;
      }
    }
    for (let attempt = 1; ; attempt++) {
      let res: TransportResponse;
      try {
        res = await send({ method, url, headers, body, insecureTls: this.isInsecure(realmHost) || this.isInsecure(url.hostname), timeoutMs: this.options.timeoutMs });
      } catch (err) {
        if (isRetryableError(err) && attempt < this.backoff.attempts) {
          await sleep(backoffDelay(attempt, this.backoff));
          continue;
        }
        throw new RegistryError(`cannot reach token server ${url.origin}${url.pathname}: ${describeError(err)}`, 0);
      }
      if (isRetryableStatus(res.status) && attempt < this.backoff.attempts) {
        await discardBody(res);
        await sleep(backoffDelay(attempt, this.backoff, retryAfterSeconds(res.headers['retry-after'])));
        continue;
      }
      const text = (await readBody(res, 1024 * 1024)).toString('utf8');
      if (res.status === 401 || res.status === 403) {
        throw new RegistryError(
          login
            ? `token server ${url.host} refused the login of '${login.username ?? '(identity token)'}' (${res.status}): wrong username or password?`
            : `token server ${url.host} requires a login (${res.status}) and no credentials were found`,
          res.status,
        );
      }
      if (res.status !== 200) throw new RegistryError(`token server ${url.host} answered ${res.status}: ${text.slice(0, 200)}`, res.status);
      let parsed: { token?: string; access_token?: string; expires_in?: number };
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new RegistryError(`token server ${url.host} returned something that is not JSON`, res.status);
      }
      const token = parsed.token ?? parsed.access_token;
      if (!token) throw new RegistryError(`token server ${url.host} returned no token`, res.status);
      return { token, expiresIn: parsed.expires_in };
    }
  }
}

/** Whether a registry answers `GET /v2/` in plain HTTP at `host` (any failure means no). */
async function answersPlainHttp(host: string): Promise<boolean> {
  try {
    const res = await send({ method: 'GET', url: new URL(`http://${host}/v2/`), headers: {}, timeoutMs: 10_000 });
    await discardBody(res);
    return res.status === 200 || res.status === 401;
  } catch {
    return false;
  }
}

let digestsWarm = false;
/**
 * Nearly every exchange with a registry ends in a digest check, and loading node:crypto takes
 * about 10 ms: load it while the first request is on its way rather than after its answer.
 */
function warmDigests(): void {
  if (digestsWarm) return;
  digestsWarm = true;
  setImmediate(() => process.getBuiltinModule('node:crypto'));
}
