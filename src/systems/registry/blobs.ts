// Blobs of the distribution API: existence, streamed reads with digest checks, and uploads
// (monolithic or chunked, resumable, with cross-repository mounts).
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { UserError, describeError } from '../../lib/errors.js';
import { backoffDelay, sleep } from '../../lib/retry.js';
import { repositoryScope } from './auth.js';
import { RegistryError, RegistryHttp, digestVerifier, formatRepository, header, sha256, type RepositoryName } from './http.js';
import { discardBody, send } from './transport.js';

export interface BlobInfo {
  digest: string;
  size: number;
}

export type UploadResult = 'exists' | 'mounted' | 'uploaded';

export class RegistryBlobs extends RegistryHttp {
  /** Size of a blob in a repository, or undefined when the repository does not have it. */
  async headBlob(repo: RepositoryName, digest: string): Promise<BlobInfo | undefined> {
    const res = await this.request({
      registry: repo.registry,
      method: 'HEAD',
      path: `/v2/${repo.repository}/blobs/${digest}`,
      scopes: [repositoryScope(repo.repository, ['pull'])],
      expect: [200, 404],
      what: `head blob ${formatRepository(repo)}@${digest}`,
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
      registry: repo.registry,
      method: 'GET',
      path: `/v2/${repo.repository}/blobs/${digest}`,
      scopes: [repositoryScope(repo.repository, ['pull'])],
      expect: [200, 301, 302, 303, 307, 308],
      what,
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
  async pushBlob(repo: RepositoryName, blob: BlobInfo, open: () => Readable | Promise<Readable>, options: { mountFrom?: string; skipExistsCheck?: boolean } = {}): Promise<UploadResult> {
    if (!options.skipExistsCheck && (await this.headBlob(repo, blob.digest))) return 'exists';
    const pushScope = repositoryScope(repo.repository, ['pull', 'push']);
    let location: string | undefined;
    if (options.mountFrom && options.mountFrom !== repo.repository) {
      const res = await this.request({
        registry: repo.registry,
        method: 'POST',
        path: `/v2/${repo.repository}/blobs/uploads/?mount=${encodeURIComponent(blob.digest)}&from=${encodeURIComponent(options.mountFrom)}`,
        scopes: [pushScope, repositoryScope(options.mountFrom, ['pull'])],
        expect: [201, 202],
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
        const retryable =
          err instanceof RegistryError && (err.status === 0 || err.status === 404 || err.status === 416 || err.status >= 500 || err.code === 'DIGEST_INVALID' || err.code === 'BLOB_UPLOAD_UNKNOWN' || err.code === 'BLOB_UPLOAD_INVALID');
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
        registry: repo.registry,
        method: 'PUT',
        path: withDigest(location),
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(blob.size) },
        body: () => {
          if (used) throw new RegistryError(`${what}: the upload must start again`, 0);
          used = true;
          return body;
        },
        scopes,
        expect: [201],
        what,
        noRetry: true,
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
        registry: repo.registry,
        method: 'PATCH',
        path: location,
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${offset}-${offset + chunk.length - 1}` },
        body: chunk,
        scopes,
        expect: [202],
        what,
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
