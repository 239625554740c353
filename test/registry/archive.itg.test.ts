// push-archive against the real registry, with archives made by skopeo from a real busybox
// image built by buildah: docker-archive (plain, gzip'd, compressed layers) and OCI layouts.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { RegistryClient } from '../../src/systems/registry/client.js';
import { pushArchive } from '../../src/images/archive.js';
import { main } from '../../src/cli/main.js';
import { startRegistry, type TestRegistry } from '../harness/registry.js';
import { startFaultProxy } from '../harness/fault-proxy.js';
import { pushBusyboxImage } from '../harness/buildah.js';

const exec = promisify(execFile);
let source: TestRegistry;
let target: TestRegistry;
let client: RegistryClient;
let dir: string;
let sourceRef: string;

beforeAll(async () => {
  [source, target] = await Promise.all([startRegistry(), startRegistry()]);
  client = new RegistryClient({ insecure: [target.host], backoff: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 } });
  dir = mkdtempSync(join(tmpdir(), 'bi-archive-'));
  sourceRef = `docker://${source.host}/base/busybox:test`;
  await pushBusyboxImage(`${source.host}/base/busybox:test`);
}, 120000);
afterAll(async () => {
  await Promise.all([source.stop(), target.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

const skopeo = (...args: string[]) => exec('skopeo', args, { maxBuffer: 64 * 1024 * 1024 });
const repo = (name: string, tag = 'v1') => ({ registry: target.host, repository: name, tag });

async function inspect(name: string, tag = 'v1') {
  const { stdout } = await skopeo('inspect', '--tls-verify=false', `docker://${target.host}/${name}:${tag}`);
  return JSON.parse(stdout) as { Digest: string; Layers: string[] };
}

test("a gzip'd docker-archive: pushed, readable by skopeo, and a second push uploads nothing", async () => {
  const tar = join(dir, 'busybox.tar');
  await skopeo('copy', '--src-tls-verify=false', sourceRef, `docker-archive:${tar}:base/busybox:test`);
  const gz = `${tar}.gz`;
  writeFileSync(gz, gzipSync(readFileSync(tar)));
  const first = await pushArchive(client, gz, repo('arch/docker'));
  expect(first.format).toBe('docker-archive');
  expect(first.blobs.uploaded).toBeGreaterThanOrEqual(2);
  const info = await inspect('arch/docker');
  expect(info.Digest).toBe(first.digest);
  // skopeo can copy what we pushed (layers and config verified by skopeo)
  await skopeo('copy', '--src-tls-verify=false', `docker://${target.host}/arch/docker:v1`, `oci:${join(dir, 'roundtrip')}:x`);
  const again = await pushArchive(client, tar, repo('arch/docker', 'v2'));
  expect(again.digest).toBe(first.digest);
  expect(again.blobs).toEqual({ exists: first.blobs.uploaded, mounted: 0, uploaded: 0 });
}, 60000);

test("a docker-archive with gzip'd layers (as some Nix builds make) keeps them compressed", async () => {
  // unpack the docker-archive, gzip the layer in place, pack it again
  const unpacked = join(dir, 'unpacked');
  await exec('mkdir', ['-p', unpacked]);
  await exec('skopeo', ['copy', '--src-tls-verify=false', sourceRef, `docker-archive:${join(dir, 'plain.tar')}`]);
  await exec('tar', ['-C', unpacked, '-xf', join(dir, 'plain.tar')]);
  const entry = JSON.parse(readFileSync(join(unpacked, 'manifest.json'), 'utf8'))[0];
  const layer = join(unpacked, entry.Layers[0]);
  writeFileSync(layer, gzipSync(readFileSync(layer)));
  const tar = join(dir, 'compressed.tar');
  await exec('tar', ['-C', unpacked, '-cf', tar, '.']);
  const result = await pushArchive(client, tar, repo('arch/gz'));
  const manifest = JSON.parse((await client.requireManifest(repo('arch/gz'), 'v1')).bytes.toString());
  expect(manifest.layers[0].mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
  expect((await inspect('arch/gz')).Digest).toBe(result.digest);
}, 60000);

test('an OCI layout directory and a tar of it: manifest bytes preserved', async () => {
  const layout = join(dir, 'layout');
  await skopeo('copy', '--src-tls-verify=false', sourceRef, `oci:${layout}:test`);
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
  const expected = index.manifests[0].digest;
  const fromDir = await pushArchive(client, layout, repo('arch/oci', 'test'));
  expect(fromDir.format).toBe('oci-layout');
  expect(fromDir.digest).toBe(expected);
  const tar = join(dir, 'layout.tar');
  await exec('tar', ['-C', layout, '-cf', tar, '.']);
  const fromTar = await pushArchive(client, tar, repo('arch/oci-tar', 'test'));
  expect(fromTar.digest).toBe(expected);
  expect((await inspect('arch/oci-tar', 'test')).Digest).toBe(expected);
}, 60000);

test("an upload dropped mid-way starts again from a fresh read of the archive, plain or gzip'd", async () => {
  const tar = join(dir, 'retry.tar');
  await skopeo('copy', '--src-tls-verify=false', sourceRef, `docker-archive:${tar}:base/busybox:test`);
  writeFileSync(`${tar}.gz`, gzipSync(readFileSync(tar)));
  const clean = await pushArchive(client, tar, repo('arch/clean'));
  const layer = JSON.parse((await client.requireManifest(repo('arch/clean'), 'v1')).bytes.toString()).layers[0].digest as string;
  const proxy = await startFaultProxy(target.host);
  try {
    const viaProxy = new RegistryClient({ insecure: [proxy.host], backoff: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 } });
    for (const [file, name] of [
      [tar, 'arch/retry'],
      [`${tar}.gz`, 'arch/retry-gz'],
    ] as const) {
      const injected = proxy.injected;
      // The layer's upload (its PUT carries the digest) loses its connection once.
      proxy.inject({ method: 'PUT', path: new RegExp(`digest=${encodeURIComponent(layer)}`), drop: true });
      const result = await pushArchive(viaProxy, file, { registry: proxy.host, repository: name, tag: 'v1' });
      expect(proxy.injected).toBe(injected + 1);
      expect(result.digest).toBe(clean.digest);
      expect(result.blobs.uploaded).toBe(2);
      // skopeo verifies every blob it copies
      await skopeo('copy', '--src-tls-verify=false', `docker://${target.host}/${name}:v1`, `oci:${join(dir, name.replace('/', '-'))}:x`);
    }
  } finally {
    await proxy.stop();
  }
}, 60000);

test('CLI: prints the digest; corrupt and foreign files are clear errors', async () => {
  const tar = join(dir, 'busybox.tar');
  const out: string[] = [];
  const err: string[] = [];
  const cli = { out: (t: string) => out.push(t), err: (t: string) => err.push(t), cwd: dir, env: { ...process.env, DOCKER_CONFIG: dir } };
  expect(await main(['push-archive', 'busybox.tar', '--image', `${target.host}/arch/cli:v1`, '--insecure'], cli)).toBe(0);
  expect(out.join('')).toMatch(/^sha256:[0-9a-f]{64}\n$/);

  // flip a byte inside the layer: its digest no longer matches the config's diff ID
  const bytes = readFileSync(tar);
  const at = bytes.indexOf(Buffer.from('busybox'), 4096);
  bytes[at] = bytes[at]! ^ 0x20;
  writeFileSync(join(dir, 'corrupt.tar'), bytes);
  err.length = 0;
  expect(await main(['push-archive', 'corrupt.tar', '--image', `${target.host}/arch/cli:bad`, '--insecure'], cli)).toBe(1);
  expect(err.join('')).toMatch(/is corrupt: its digest sha256:\w+ is not the diff ID/);

  writeFileSync(join(dir, 'notes.txt'), 'hello');
  err.length = 0;
  expect(await main(['push-archive', 'notes.txt', '--image', `${target.host}/arch/cli:bad`, '--insecure'], cli)).toBe(1);
  expect(err.join('')).toMatch(/notes.txt: not a readable tar archive/);
  err.length = 0;
  expect(await main(['push-archive', 'busybox.tar', '--insecure'], cli)).toBe(2);
  expect(err.join('')).toMatch(/--image REPO:TAG is required/);
}, 60000);
