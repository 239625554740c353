// The registry client against the real distribution registry: anonymous, TLS, htpasswd and
// token auth, uploads, mounts, pagination, and faults (5xx, drops, restarts, corruption).
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { RegistryClient, RegistryError, sha256 } from '../../src/systems/registry/client.js';
import { startRegistry, type TestRegistry } from '../harness/registry.js';
import { writeHtpasswd } from '../harness/htpasswd.js';
import { startTokenServer, type TokenServer } from '../harness/token-server.js';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.js';
import { pushTestImage } from './images.js';
import { promote } from '../../src/promote/promote.js';

const execFileAsync = promisify(execFile);
const FAST = { attempts: 5, baseDelayMs: 20, maxDelayMs: 200 };
const files = [[{ name: 'etc/hello', content: 'hello\n' }], [{ name: 'bin/tool', content: '#!/bin/sh\necho hi\n', mode: 0o755 }]];

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('anonymous registry', () => {
  let registry: TestRegistry;
  let client: RegistryClient;
  beforeAll(async () => {
    registry = await startRegistry();
    client = new RegistryClient({ insecure: [registry.host], backoff: FAST });
  });
  afterAll(() => registry.stop());

  test('pushes an image that skopeo reads, and reads it back byte for byte', async () => {
    const repo = { registry: registry.host, repository: 'anon/image' };
    const image = await pushTestImage(client, repo, 'v1', files);
    const inspected = JSON.parse(execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${registry.host}/anon/image:v1`]).toString());
    expect(inspected.Digest).toBe(image.digest);
    expect(inspected.Layers).toHaveLength(2);

    const got = await client.requireManifest(repo, 'v1');
    expect(got.bytes.equals(image.manifest)).toBe(true);
    expect(got.digest).toBe(image.digest);
    expect(await client.headManifest(repo, 'v1')).toMatchObject({ digest: image.digest });
    expect(await client.headManifest(repo, 'missing')).toBeUndefined();
    expect(await client.getManifest(repo, 'missing')).toBeUndefined();
    await expect(client.requireManifest(repo, 'missing')).rejects.toThrow(/anon\/image:missing: manifest not found/);
    expect((await client.getBlobBytes(repo, sha256(image.config))).equals(image.config)).toBe(true);
    expect((await readAll(await client.getBlob(repo, sha256(image.layers[0]!)))).equals(image.layers[0]!)).toBe(true);
    await client.ping(registry.host);
  });

  test('reads what skopeo pushed (converted to an OCI manifest), verifying every blob', async () => {
    const repo = { registry: registry.host, repository: 'anon/from-skopeo' };
    await pushTestImage(client, { registry: registry.host, repository: 'anon/src' }, 'v1', files);
    await execFileAsync('skopeo', ['copy', '--src-tls-verify=false', '--dest-tls-verify=false', '--format', 'oci', `docker://${registry.host}/anon/src:v1`, `docker://${registry.host}/anon/from-skopeo:v1`]);
    const m = await client.requireManifest(repo, 'v1');
    expect(m.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    const body = JSON.parse(m.bytes.toString()) as { config: { digest: string }; layers: { digest: string }[] };
    for (const d of [body.config, ...body.layers]) expect(sha256(await readAll(await client.getBlob(repo, d.digest)))).toBe(d.digest);
  });

  test('lists tags across pages (Link header)', async () => {
    const repo = { registry: registry.host, repository: 'anon/tags' };
    const image = await pushTestImage(client, repo, 't0', files);
    for (let i = 1; i < 7; i++) await client.putManifest(repo, `t${i}`, { bytes: image.manifest, mediaType: 'application/vnd.docker.distribution.manifest.v2+json' });
    expect((await client.listTags(repo, 2)).sort()).toEqual(['t0', 't1', 't2', 't3', 't4', 't5', 't6']);
    expect(await client.listTags({ registry: registry.host, repository: 'anon/none' })).toEqual([]);
  });

  test('uploads in chunks, mounts across repositories, and skips blobs already there', async () => {
    const chunky = new RegistryClient({ insecure: [registry.host], backoff: FAST, chunkSize: 100_000 });
    const data = randomBytes(350_000);
    const blob = { digest: sha256(data), size: data.length };
    const a = { registry: registry.host, repository: 'anon/a' };
    const b = { registry: registry.host, repository: 'anon/b' };
    expect(await chunky.pushBlob(a, blob, () => Readable.from([data]))).toBe('uploaded');
    expect(await chunky.pushBlob(a, blob, () => Readable.from([data]))).toBe('exists');
    expect(
      await chunky.pushBlob(
        b,
        blob,
        () => {
          throw new Error('must not read');
        },
        { mountFrom: 'anon/a' },
      ),
    ).toBe('mounted');
    expect((await readAll(await client.getBlob(b, blob.digest))).equals(data)).toBe(true);
  });

  test('refuses a blob whose bytes do not match its digest', async () => {
    const repo = { registry: registry.host, repository: 'anon/bad' };
    const data = randomBytes(1000);
    const wrong = { digest: sha256(Buffer.from('something else')), size: data.length };
    await expect(client.pushBlob(repo, wrong, () => Readable.from([data]))).rejects.toThrow(/digest mismatch/);
    expect(await client.headBlob(repo, wrong.digest)).toBeUndefined();
  });

  test('detects a blob corrupted in storage when reading it', async () => {
    const repo = { registry: registry.host, repository: 'anon/corrupt' };
    const data = randomBytes(5000);
    const { digest } = await client.pushBlobBytes(repo, data);
    const hex = digest.slice(7);
    const path = join(registry.storageDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
    writeFileSync(path, randomBytes(5000));
    await expect(client.getBlobBytes(repo, digest)).rejects.toThrow(new RegExp(`digest mismatch: expected ${digest}`));
  });

  test('a host not listed as insecure is reached over https and fails clearly', async () => {
    const strict = new RegistryClient({ backoff: { attempts: 1 } });
    await expect(strict.ping(registry.host)).rejects.toThrow(new RegExp(`cannot reach ${registry.host}`));
  });
});

test('an insecure host with a port that speaks plain HTTP is asked in plain HTTP first: no TLS handshake reaches it', async () => {
  const registry = await startRegistry();
  // A TCP relay in front of the registry that notes each connection's first byte (0x16 opens a TLS handshake).
  const firstBytes: number[] = [];
  const relay = createServer((socket) => {
    const upstream = createConnection({ host: '127.0.0.1', port: Number(registry.host.split(':')[1]) });
    socket.once('data', (d: Buffer) => firstBytes.push(d[0]!));
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(relay.address() as AddressInfo).port}`;
  try {
    const client = new RegistryClient({ insecure: [host], backoff: FAST });
    const image = await pushTestImage(client, { registry: host, repository: 'plain/image' }, 'v1', files);
    expect((await client.headManifest({ registry: host, repository: 'plain/image' }, 'v1'))?.digest).toBe(image.digest);
    expect(firstBytes.length).toBeGreaterThan(0);
    expect(firstBytes.filter((b) => b === 0x16)).toEqual([]);
  } finally {
    relay.close();
    await registry.stop();
  }
});

test('a TLS registry with a self-signed certificate works only when listed as insecure', async () => {
  const registry = await startRegistry({ tls: true });
  try {
    await expect(new RegistryClient({ backoff: { attempts: 1 } }).ping(registry.host)).rejects.toThrow(/certificate/);
    const client = new RegistryClient({ insecure: [registry.host], backoff: FAST });
    const image = await pushTestImage(client, { registry: registry.host, repository: 'tls/image' }, 'v1', files);
    expect((await client.headManifest({ registry: registry.host, repository: 'tls/image' }, 'v1'))?.digest).toBe(image.digest);
  } finally {
    await registry.stop();
  }
});

describe('htpasswd (basic) auth', () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry({ extraConfig: writeHtpasswd({ alice: 's3cret' }).registryConfig });
  });
  afterAll(() => registry.stop());
  const repo = () => ({ registry: registry.host, repository: 'basic/image' });

  test('the right password pushes and pulls', async () => {
    const client = new RegistryClient({ insecure: [registry.host], backoff: FAST, credentials: () => ({ registry: registry.host, username: 'alice', password: 's3cret' }) });
    const image = await pushTestImage(client, repo(), 'v1', files);
    expect((await client.requireManifest(repo(), 'v1')).digest).toBe(image.digest);
    const out = execFileSync('skopeo', ['inspect', '--tls-verify=false', '--creds', 'alice:s3cret', `docker://${registry.host}/basic/image:v1`]).toString();
    expect(JSON.parse(out).Digest).toBe(image.digest);
  });

  test('a wrong password is a clear error', async () => {
    const client = new RegistryClient({ insecure: [registry.host], backoff: FAST, credentials: () => ({ registry: registry.host, username: 'alice', password: 'nope' }) });
    await expect(client.getManifest(repo(), 'v1')).rejects.toThrow(/authentication failed for user 'alice' \(wrong username or password\?\)/);
  });

  test('no credentials is a clear error', async () => {
    const client = new RegistryClient({ insecure: [registry.host], backoff: FAST });
    await expect(client.getManifest(repo(), 'v1')).rejects.toThrow(/requires a login and no credentials were found/);
  });
});

describe('token auth', () => {
  let tokens: TokenServer;
  let registry: TestRegistry;
  beforeAll(async () => {
    tokens = await startTokenServer({
      users: { bob: 'pw', reader: 'pw' },
      grant: (subject, _repo, actions) => (subject === 'bob' ? actions : subject === 'reader' ? actions.filter((a) => a === 'pull') : []),
      expiresIn: 3,
    });
    registry = await startRegistry({ extraConfig: tokens.registryConfig });
  });
  afterAll(async () => {
    await registry.stop();
    await tokens.stop();
  });
  const insecure = () => [registry.host, '127.0.0.1'];

  test('pushes and pulls with bearer tokens, reusing them per scope and refreshing them when they expire', async () => {
    const client = new RegistryClient({ insecure: insecure(), backoff: FAST, credentials: () => ({ registry: registry.host, username: 'bob', password: 'pw' }) });
    const repo = { registry: registry.host, repository: 'tok/image' };
    const image = await pushTestImage(client, repo, 'v1', files);
    const before = tokens.requests.length;
    for (let i = 0; i < 5; i++) expect((await client.requireManifest(repo, 'v1')).digest).toBe(image.digest);
    // pull scope: at most one more token for five reads
    expect(tokens.requests.length - before).toBeLessThanOrEqual(1);
    expect(tokens.requests.every((r) => r.subject === 'bob')).toBe(true);
    const afterReads = tokens.requests.length;
    await new Promise((r) => setTimeout(r, 3000));
    expect((await client.requireManifest(repo, 'v1')).digest).toBe(image.digest);
    expect(tokens.requests.length).toBe(afterReads + 1);
    // async: the token server runs in this process, so a blocking exec would deadlock
    const { stdout } = await execFileAsync('skopeo', ['inspect', '--tls-verify=false', '--creds', 'bob:pw', `docker://${registry.host}/tok/image:v1`]);
    expect(JSON.parse(stdout).Digest).toBe(image.digest);
  });

  test('promotes across repositories with a mount (a token for both scopes)', async () => {
    const client = new RegistryClient({ insecure: insecure(), backoff: FAST, credentials: () => ({ registry: registry.host, username: 'bob', password: 'pw' }) });
    const src = { registry: registry.host, repository: 'tok/src' };
    const image = await pushTestImage(client, src, 'test', files);
    const before = tokens.requests.length;
    const report = await promote(client, [{ source: src, fromTag: 'test', digest: image.digest, targets: [{ registry: registry.host, repository: 'tok/dst', tag: 'latest' }] }]);
    expect(report.promoted[0]!.targets[0]).toMatchObject({ method: 'mount', digest: image.digest });
    expect(tokens.requests.slice(before).some((r) => r.scopes.includes('repository:tok/src:pull') && r.scopes.includes('repository:tok/dst:pull,push'))).toBe(true);
    expect((await client.headManifest({ registry: registry.host, repository: 'tok/dst' }, 'latest'))?.digest).toBe(image.digest);
  });

  test('a wrong password is a clear error', async () => {
    const client = new RegistryClient({ insecure: insecure(), backoff: FAST, credentials: () => ({ registry: registry.host, username: 'bob', password: 'wrong' }) });
    await expect(client.getManifest({ registry: registry.host, repository: 'tok/image' }, 'v1')).rejects.toThrow(/refused the login of 'bob' \(401\): wrong username or password\?/);
  });

  test('a user without push rights gets a clear denial', async () => {
    const client = new RegistryClient({ insecure: insecure(), backoff: FAST, credentials: () => ({ registry: registry.host, username: 'reader', password: 'pw' }) });
    const repo = { registry: registry.host, repository: 'tok/image' };
    expect(await client.headManifest(repo, 'v1')).toBeDefined();
    const m = await client.requireManifest(repo, 'v1');
    await expect(client.putManifest(repo, 'other', m)).rejects.toThrow(/access denied .*as 'reader'/);
  });

  test('anonymous access is refused clearly', async () => {
    const client = new RegistryClient({ insecure: insecure(), backoff: FAST });
    await expect(client.getManifest({ registry: registry.host, repository: 'tok/image' }, 'v1')).rejects.toThrow(/access denied .*anonymous/);
  });
});

describe('faults', () => {
  let registry: TestRegistry;
  let proxy: FaultProxy;
  let client: RegistryClient;
  beforeAll(async () => {
    registry = await startRegistry();
    proxy = await startFaultProxy(registry.host);
    client = new RegistryClient({ insecure: [proxy.host], backoff: FAST, chunkSize: 256 * 1024 });
  });
  afterAll(async () => {
    await proxy.stop();
    await registry.stop();
  });
  const repo = () => ({ registry: proxy.host, repository: 'fault/image' });

  test('retries 500s, 429s and dropped connections', async () => {
    const image = await pushTestImage(client, repo(), 'v1', files);
    proxy.inject({ method: 'GET', path: /manifests\/v1/, status: 500, times: 2 });
    proxy.inject({ method: 'HEAD', path: /manifests\/v1/, status: 429, times: 1 });
    expect((await client.requireManifest(repo(), 'v1')).digest).toBe(image.digest);
    expect((await client.headManifest(repo(), 'v1'))?.digest).toBe(image.digest);
    proxy.inject({ method: 'GET', path: /manifests\/v1/, drop: true, times: 2 });
    expect((await client.requireManifest(repo(), 'v1')).digest).toBe(image.digest);
    const data = randomBytes(600_000);
    proxy.inject({ method: 'PATCH', drop: true, times: 1 });
    proxy.inject({ method: 'PUT', path: /blobs\/uploads/, status: 503, times: 1 });
    expect((await client.pushBlobBytes(repo(), data)).result).toBe('uploaded');
    expect((await client.getBlobBytes(repo(), sha256(data))).equals(data)).toBe(true);
    expect(proxy.injected).toBe(7);
  });

  test('gives up on a registry that keeps failing, with a clear message', async () => {
    proxy.inject({ method: 'GET', path: /manifests\/v1/, status: 500, times: 5 });
    await expect(client.getManifest(repo(), 'v1')).rejects.toThrow(/get manifest .*fault\/image:v1: .* answered 500 after 5 attempts: UNKNOWN: injected fault/);
  });

  test('a registry restarted in the middle of an upload: the upload completes', async () => {
    const slow = new RegistryClient({ insecure: [registry.host], backoff: { attempts: 8, baseDelayMs: 100, maxDelayMs: 1000 }, chunkSize: 1024 * 1024 });
    const data = randomBytes(12 * 1024 * 1024);
    const blob = { digest: sha256(data), size: data.length };
    const source = () =>
      Readable.from(
        (async function* () {
          for (let i = 0; i < data.length; i += 256 * 1024) {
            await new Promise((r) => setTimeout(r, 15));
            yield data.subarray(i, i + 256 * 1024);
          }
        })(),
      );
    const target = { registry: registry.host, repository: 'fault/restart' };
    const upload = slow.pushBlob(target, blob, source);
    await new Promise((r) => setTimeout(r, 250));
    await registry.restart();
    expect(await upload).toBe('uploaded');
    expect((await slow.getBlobBytes(target, blob.digest)).equals(data)).toBe(true);
    expect(readdirSync(registry.storageDir).length).toBeGreaterThan(0);
  });
});

test('RegistryError carries the status', () => {
  expect(new RegistryError('x', 404).status).toBe(404);
});
