// The registry client: the OCI distribution API over HTTP(S), with auth, retries and digest
// checks. Everything in this project that talks to a registry goes through this class.
import { createHash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { UserError, describeError } from '../../lib/errors.js';
import { Authenticator, repositoryScope, type TokenResponse } from './auth.js';
import type { RegistryLogin } from './credentials.js';
import { normalizeRegistryHost } from './credentials.js';
import { MANIFEST_MEDIA_TYPES, type ManifestBytes } from './types.js';
import {
  DEFAULT_BACKOFF, discardBody, isRetryableError, isRetryableStatus, looksLikeTlsMismatch, readBody, send,
  type RequestBody, type TransportResponse,
} from './transport.js';
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

export interface BlobInfo {
  digest: string;
  size: number;
}

export type UploadResult = 'exists' | 'mounted' | 'uploaded';

interface Operation {
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

const DIGEST_HEADER = 'docker-content-digest';

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function formatRepository(repo: RepositoryName): string {
  return `${repo.registry}/${repo.repository}`;
}

function header(res: TransportResponse, name: string): string | undefined {
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

export class RegistryClient {
  private readonly auth: Authenticator;
  private readonly insecure: Set<string>;
  private readonly backoff: RetryOptions;
  private readonly baseUrls = new Map<string, Promise<string>>();
  readonly chunkSize: number;

  constructor(private readonly options: RegistryClientOptions = {}) {
    this.insecure = new Set((options.insecure ?? []).map((h) => normalizeRegistryHost(h)));
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.chunkSize = options.chunkSize ?? 64 * 1024 * 1024;
    this.auth = new Authenticator((r) => options.credentials?.(r), (realm, params, login) => this.fetchToken(realm, params, login));
  }

  isInsecure(registry: string): boolean {
    return this.insecure.has(normalizeRegistryHost(registry));
  }

  /** `https://host` normally; for insecure hosts, https without verification if it answers, else http. */
  private baseUrl(registry: string): Promise<string> {
    const host = registry === 'docker.io' ? 'registry-1.docker.io' : registry;
    if (!this.isInsecure(registry)) return Promise.resolve(`https://${host}`);
    let known = this.baseUrls.get(host);
    if (!known) {
      known = (async () => {
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

  private userAgent(): string {
    return this.options.userAgent ?? 'build-image/0.1';
  }

  /** Sends an operation with auth and retries; returns the response for an expected status. */
  private async request(op: Operation): Promise<TransportResponse> {
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
    const hint =
      res.status === 403 ? ' (access denied: check the credentials and their permissions)' :
      res.status === 404 ? ' (not found)' : '';
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
          login ? `token server ${url.host} refused the login of '${login.username ?? '(identity token)'}' (${res.status}): wrong username or password?` : `token server ${url.host} requires a login (${res.status}) and no credentials were found`,
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

  /** Checks the registry answers the API at all (and that auth works, if it asks for it). */
  async ping(registry: string): Promise<void> {
    const res = await this.request({ registry, method: 'GET', path: '/v2/', scopes: [], expect: [200], what: `ping ${registry}` });
    await discardBody(res);
  }

  // ---- manifests ----

  /** The manifest at a tag or digest, with its exact bytes; undefined when absent (404). */
  async getManifest(repo: RepositoryName, reference: string): Promise<ManifestBytes | undefined> {
    const what = `get manifest ${formatRepository(repo)}${reference.includes(':') ? '@' : ':'}${reference}`;
    const res = await this.request({
      registry: repo.registry, method: 'GET', path: `/v2/${repo.repository}/manifests/${reference}`,
      headers: { Accept: MANIFEST_MEDIA_TYPES.join(', ') }, scopes: [repositoryScope(repo.repository, ['pull'])], expect: [200, 404], what,
    });
    if (res.status === 404) {
      await discardBody(res);
      return undefined;
    }
    const bytes = await readBody(res, 8 * 1024 * 1024);
    const digest = sha256(bytes);
    const expected = reference.startsWith('sha256:') ? reference : header(res, DIGEST_HEADER);
    if (expected && expected.startsWith('sha256:') && expected !== digest) {
      throw new RegistryError(`${what}: digest mismatch: expected ${expected}, the bytes hash to ${digest}`, res.status, 'DIGEST_INVALID');
    }
    const mediaType = (header(res, 'content-type') ?? '').split(';')[0]!.trim() || mediaTypeOf(bytes);
    return { digest, mediaType, bytes };
  }

  /** Like getManifest but a missing manifest is an error. */
  async requireManifest(repo: RepositoryName, reference: string): Promise<ManifestBytes> {
    const m = await this.getManifest(repo, reference);
    if (!m) throw new RegistryError(`${formatRepository(repo)}${reference.includes(':') ? '@' : ':'}${reference}: manifest not found`, 404, 'MANIFEST_UNKNOWN');
    return m;
  }

  /** Digest and media type of the manifest at a tag or digest, without its body; undefined when absent. */
  async headManifest(repo: RepositoryName, reference: string): Promise<{ digest: string; mediaType: string; size: number } | undefined> {
    const res = await this.request({
      registry: repo.registry, method: 'HEAD', path: `/v2/${repo.repository}/manifests/${reference}`,
      headers: { Accept: MANIFEST_MEDIA_TYPES.join(', ') }, scopes: [repositoryScope(repo.repository, ['pull'])], expect: [200, 404],
      what: `head manifest ${formatRepository(repo)}:${reference}`,
    });
    await discardBody(res);
    if (res.status === 404) return undefined;
    const digest = header(res, DIGEST_HEADER);
    if (!digest) {
      const full = await this.getManifest(repo, reference);
      return full && { digest: full.digest, mediaType: full.mediaType, size: full.bytes.length };
    }
    return { digest, mediaType: (header(res, 'content-type') ?? '').split(';')[0]!.trim(), size: Number(header(res, 'content-length') ?? 0) };
  }

  /** Stores manifest bytes unchanged under a tag or digest and returns their digest. */
  async putManifest(repo: RepositoryName, reference: string, manifest: { bytes: Buffer; mediaType: string }): Promise<string> {
    const what = `put manifest ${formatRepository(repo)}${reference.includes(':') ? '@' : ':'}${reference}`;
    const res = await this.request({
      registry: repo.registry, method: 'PUT', path: `/v2/${repo.repository}/manifests/${reference}`,
      headers: { 'Content-Type': manifest.mediaType }, body: manifest.bytes,
      scopes: [repositoryScope(repo.repository, ['pull', 'push'])], expect: [201, 200], what,
    });
    await discardBody(res);
    const digest = sha256(manifest.bytes);
    const returned = header(res, DIGEST_HEADER);
    if (returned && returned !== digest) throw new RegistryError(`${what}: the registry stored digest ${returned}, expected ${digest}`, res.status);
    return digest;
  }

  /** Deletes a manifest by digest, or a tag where the registry supports it. */
  async deleteManifest(repo: RepositoryName, reference: string): Promise<void> {
    const res = await this.request({
      registry: repo.registry, method: 'DELETE', path: `/v2/${repo.repository}/manifests/${reference}`,
      scopes: [repositoryScope(repo.repository, ['delete'])], expect: [202, 200],
      what: `delete manifest ${formatRepository(repo)}:${reference}`,
    });
    await discardBody(res);
  }

  // ---- tags ----

  /** Every tag of a repository, following `Link: <...>; rel="next"` pages. */
  async listTags(repo: RepositoryName, pageSize = 1000): Promise<string[]> {
    const tags: string[] = [];
    let path: string | undefined = `/v2/${repo.repository}/tags/list?n=${pageSize}`;
    while (path) {
      const res = await this.request({
        registry: repo.registry, method: 'GET', path, scopes: [repositoryScope(repo.repository, ['pull'])], expect: [200, 404],
        what: `list tags of ${formatRepository(repo)}`,
      });
      if (res.status === 404) {
        await discardBody(res);
        return tags;
      }
      const body = JSON.parse((await readBody(res, 16 * 1024 * 1024)).toString('utf8')) as { tags?: string[] | null };
      tags.push(...(body.tags ?? []));
      path = nextLink(header(res, 'link'));
    }
    return tags;
  }

  // ---- blobs ----

  /** Size of a blob in a repository, or undefined when the repository does not have it. */
  async headBlob(repo: RepositoryName, digest: string): Promise<BlobInfo | undefined> {
    const res = await this.request({
      registry: repo.registry, method: 'HEAD', path: `/v2/${repo.repository}/blobs/${digest}`,
      scopes: [repositoryScope(repo.repository, ['pull'])], expect: [200, 404], what: `head blob ${formatRepository(repo)}@${digest}`,
    });
    await discardBody(res);
    if (res.status === 404) return undefined;
    return { digest, size: Number(header(res, 'content-length') ?? -1) };
  }

  /**
   * A blob as a stream that errors at its end when the bytes do not match the digest.
   * Follows redirects to storage back ends (without our Authorization header).
   */
  async getBlob(repo: RepositoryName, digest: string): Promise<Readable> {
    const what = `get blob ${formatRepository(repo)}@${digest}`;
    let res = await this.request({
      registry: repo.registry, method: 'GET', path: `/v2/${repo.repository}/blobs/${digest}`,
      scopes: [repositoryScope(repo.repository, ['pull'])], expect: [200, 301, 302, 303, 307, 308], what,
    });
    for (let hops = 0; res.status !== 200; hops++) {
      const location = header(res, 'location');
      await discardBody(res);
      if (!location || hops > 5) throw new RegistryError(`${what}: too many redirects`, res.status);
      const target = new URL(location, (await this.baseUrl(repo.registry)) + '/');
      res = await send({ method: 'GET', url: target, headers: { 'User-Agent': this.userAgent() }, insecureTls: this.isInsecure(target.host) });
      if (res.status >= 400) throw new RegistryError(`${what}: storage at ${target.host} answered ${res.status}`, res.status);
    }
    const verifier = digestVerifier(digest, what);
    res.body.on('error', (err) => verifier.destroy(new RegistryError(`${what}: connection lost: ${describeError(err)}`, 0)));
    return res.body.pipe(verifier);
  }

  /** A small blob (a config) read whole, digest checked. */
  async getBlobBytes(repo: RepositoryName, digest: string, limit = 16 * 1024 * 1024): Promise<Buffer> {
    const stream = await this.getBlob(repo, digest);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of stream) {
      size += (chunk as Buffer).length;
      if (size > limit) {
        stream.destroy();
        throw new UserError(`blob ${digest} in ${formatRepository(repo)} is larger than ${limit} bytes`);
      }
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  }

  /**
   * Makes `blob` present in `repo`: nothing if it is there, a cross-repository mount when
   * `mountFrom` (same registry) has it, else an upload of the bytes `open(offset)` streams.
   * A failed upload (registry restarted, connection dropped) starts again from scratch.
   */
  async pushBlob(
    repo: RepositoryName,
    blob: BlobInfo,
    open: () => Readable | Promise<Readable>,
    options: { mountFrom?: string; skipExistsCheck?: boolean } = {},
  ): Promise<UploadResult> {
    if (!options.skipExistsCheck && (await this.headBlob(repo, blob.digest))) return 'exists';
    const pushScope = repositoryScope(repo.repository, ['pull', 'push']);
    let location: string | undefined;
    if (options.mountFrom && options.mountFrom !== repo.repository) {
      const res = await this.request({
        registry: repo.registry, method: 'POST',
        path: `/v2/${repo.repository}/blobs/uploads/?mount=${encodeURIComponent(blob.digest)}&from=${encodeURIComponent(options.mountFrom)}`,
        scopes: [pushScope, repositoryScope(options.mountFrom, ['pull'])], expect: [201, 202],
        what: `mount blob ${blob.digest} from ${options.mountFrom} into ${formatRepository(repo)}`,
      });
      await discardBody(res);
      if (res.status === 201) return 'mounted';
      location = header(res, 'location');
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await this.upload(repo, blob, open, location);
        return 'uploaded';
      } catch (err) {
        location = undefined;
        const retryable = err instanceof RegistryError && (err.status === 0 || err.status === 404 || err.status === 416 || err.status >= 500 || err.code === 'DIGEST_INVALID' || err.code === 'BLOB_UPLOAD_UNKNOWN' || err.code === 'BLOB_UPLOAD_INVALID');
        if (!retryable || attempt >= 3) throw err;
        await sleep(backoffDelay(attempt + 1, this.backoff));
        if (await this.headBlob(repo, blob.digest)) return 'uploaded';
      }
    }
  }

  private async upload(repo: RepositoryName, blob: BlobInfo, open: () => Readable | Promise<Readable>, startedAt?: string): Promise<void> {
    const what = `upload blob ${blob.digest} to ${formatRepository(repo)}`;
    const scopes = [repositoryScope(repo.repository, ['pull', 'push'])];
    let location = startedAt;
    if (!location) {
      const res = await this.request({ registry: repo.registry, method: 'POST', path: `/v2/${repo.repository}/blobs/uploads/`, scopes, expect: [202], what });
      await discardBody(res);
      location = header(res, 'location');
    }
    if (!location) throw new RegistryError(`${what}: the registry gave no upload location`, 202);
    const withDigest = (loc: string) => `${loc}${loc.includes('?') ? '&' : '?'}digest=${encodeURIComponent(blob.digest)}`;
    const source = await open();
    if (blob.size <= this.chunkSize) {
      // one PUT with the whole body; no retry at this level (the stream is consumed once)
      const body = source.pipe(digestVerifier(blob.digest, what));
      source.on('error', (e) => body.destroy(e));
      let used = false;
      const res = await this.request({
        registry: repo.registry, method: 'PUT', path: withDigest(location),
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(blob.size) },
        body: () => {
          if (used) throw new RegistryError(`${what}: the upload must start again`, 0);
          used = true;
          return body;
        },
        scopes, expect: [201], what, noRetry: true,
      }).catch((err) => {
        source.destroy();
        throw err;
      });
      await discardBody(res);
      return;
    }
    // chunked: PATCH each chunk, then PUT with the digest
    let offset = 0;
    const hash = createHash('sha256');
    for await (const chunk of chunks(source, this.chunkSize)) {
      hash.update(chunk);
      const res = await this.request({
        registry: repo.registry, method: 'PATCH', path: location,
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${offset}-${offset + chunk.length - 1}` },
        body: chunk, scopes, expect: [202], what,
      });
      await discardBody(res);
      offset += chunk.length;
      location = header(res, 'location') ?? location;
    }
    const actual = `sha256:${hash.digest('hex')}`;
    if (actual !== blob.digest) throw new UserError(`${what}: digest mismatch: the source bytes hash to ${actual}`);
    const res = await this.request({ registry: repo.registry, method: 'PUT', path: withDigest(location), scopes, expect: [201], what });
    await discardBody(res);
  }

  /** Uploads bytes held in memory (configs, small files). */
  async pushBlobBytes(repo: RepositoryName, bytes: Buffer): Promise<BlobInfo & { result: UploadResult }> {
    const digest = sha256(bytes);
    const result = await this.pushBlob(repo, { digest, size: bytes.length }, () => Readable.from([bytes]));
    return { digest, size: bytes.length, result };
  }
}

/** Splits a stream into Buffers of `size` bytes (the last one shorter). */
async function* chunks(source: Readable, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingLength = 0;
  for await (const piece of source) {
    let buf = piece as Buffer;
    while (buf.length > 0) {
      const take = Math.min(size - pendingLength, buf.length);
      pending.push(buf.subarray(0, take));
      pendingLength += take;
      buf = buf.subarray(take);
      if (pendingLength === size) {
        yield Buffer.concat(pending);
        pending = [];
        pendingLength = 0;
      }
    }
  }
  if (pendingLength > 0) yield Buffer.concat(pending);
}

/** The `rel="next"` target of a Link header, if any. */
export function nextLink(link: string | undefined): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(/,(?=\s*<)/)) {
    const m = /<([^>]+)>\s*;(.*)$/.exec(part.trim());
    if (m && /rel="?next"?/.test(m[2]!)) return m[1];
  }
  return undefined;
}

/** The media type a manifest declares in its body, for registries that do not send Content-Type. */
function mediaTypeOf(bytes: Buffer): string {
  try {
    const body = JSON.parse(bytes.toString('utf8')) as { mediaType?: string; manifests?: unknown; config?: unknown };
    if (body.mediaType) return body.mediaType;
    return body.manifests ? 'application/vnd.oci.image.index.v1+json' : 'application/vnd.oci.image.manifest.v1+json';
  } catch {
    return 'application/octet-stream';
  }
}
