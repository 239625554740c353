// push-archive against the real registry, with archives made by skopeo from a real busybox
// image built by buildah: docker-archive (plain, gzip'd, compressed layers, rewritten by GNU tar
// in its PAX and GNU formats) and OCI layouts.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { RegistryClient } from '../../src/systems/registry/client.js';
import { indexTar, pushArchive } from '../../src/images/archive.js';
import { main } from '../../src/cli/main.js';
import { UserError } from '../../src/lib/errors.js';
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

  // Blobs are taken to be what their names say until they are uploaded; a corrupt one then is a clear error.
  const manifest = JSON.parse(readFileSync(join(layout, 'blobs', ...(expected as string).split(':')), 'utf8'));
  const layerPath = `blobs/sha256/${(manifest.layers[0].digest as string).slice('sha256:'.length)}`;
  const bytes = readFileSync(tar);
  const at = (await dataOffsets(tar)).get(layerPath)! + 100;
  bytes[at] = bytes[at]! ^ 0x01;
  writeFileSync(join(dir, 'layout-corrupt.tar'), bytes);
  await expect(pushArchive(client, join(dir, 'layout-corrupt.tar'), repo('arch/oci-bad', 'test'))).rejects.toThrow(`${layerPath} is corrupt (its content hashes to sha256:`);
  expect(await client.getManifest(repo('arch/oci-bad'), 'test')).toBeUndefined();
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
  // (a repository without the layer: the layer is read only to upload it, see below)
  expect(await main(['push-archive', 'corrupt.tar', '--image', `${target.host}/arch/cli-bad:v1`, '--insecure'], cli)).toBe(1);
  expect(err.join('')).toMatch(/is corrupt: its digest sha256:\w+ is not the diff ID/);

  writeFileSync(join(dir, 'notes.txt'), 'hello');
  err.length = 0;
  expect(await main(['push-archive', 'notes.txt', '--image', `${target.host}/arch/cli:bad`, '--insecure'], cli)).toBe(1);
  expect(err.join('')).toMatch(/notes.txt: not a readable tar archive/);
  err.length = 0;
  expect(await main(['push-archive', 'busybox.tar', '--insecure'], cli)).toBe(2);
  expect(err.join('')).toMatch(/--image REPO:TAG is required/);
}, 60000);

/**
 * Where each entry's data starts in a tar, from GNU tar's own listing (`-R`: the block number of
 * the entry's first header; right for entries with one header, as skopeo writes them).
 */
async function dataOffsets(tar: string): Promise<Map<string, number>> {
  const { stdout } = await exec('tar', ['-R', '-tf', tar]);
  const offsets = new Map<string, number>();
  for (const line of stdout.split('\n')) {
    const m = /^block (\d+): (.+)$/.exec(line);
    if (m) offsets.set(m[2]!.replace(/^\.\//, ''), (Number(m[1]) + 1) * 512);
  }
  return offsets;
}

test('a plain docker-archive is indexed from its headers: a layer is read only to be uploaded, and checked then', async () => {
  const tar = join(dir, 'seek.tar');
  await skopeo('copy', '--src-tls-verify=false', sourceRef, `docker-archive:${tar}:base/busybox:test`);
  const entry = JSON.parse((await exec('tar', ['-xOf', tar, 'manifest.json'])).stdout)[0];
  const layerAt = (await dataOffsets(tar)).get(entry.Layers[0])!;

  // The index has every file where GNU tar says it is, after reading a few KB of a 2 MB file.
  const index = indexTar(tar);
  expect(index.entries.get(entry.Layers[0])).toMatchObject({ offset: layerAt });
  expect(index.entries.get('manifest.json')?.head.toString()).toBe('[{');
  expect(index.bytesRead).toBeLessThan(statSync(tar).size / 20);

  const clean = await pushArchive(client, tar, repo('arch/seek'));
  expect(clean.blobs.uploaded).toBe(2);

  // One byte of the layer flipped, after the registry has it.
  const bytes = readFileSync(tar);
  bytes[layerAt + 1000] = bytes[layerAt + 1000]! ^ 0x20;
  const corrupt = join(dir, 'seek-corrupt.tar');
  writeFileSync(corrupt, bytes);
  // Where the registry has the layer, the layer is not read (by design): the digest comes from the
  // config, the registry's copy is the right one, and the image pushed is the clean one.
  const again = await pushArchive(client, corrupt, repo('arch/seek', 'v2'));
  expect(again.digest).toBe(clean.digest);
  expect(again.blobs).toEqual({ exists: 2, mounted: 0, uploaded: 0 });
  // Where it must be uploaded, the bytes are checked: a clear error naming the layer, and no tag.
  const failed = await pushArchive(client, corrupt, repo('arch/seek-bad')).catch((e: unknown) => e);
  expect(failed).toBeInstanceOf(UserError);
  expect((failed as Error).message).toMatch(new RegExp(`^${corrupt}: layer ${entry.Layers[0]} is corrupt: its digest sha256:[0-9a-f]{64} is not the diff ID sha256:[0-9a-f]{64} in the config$`));
  expect(await client.getManifest(repo('arch/seek-bad'), 'v1')).toBeUndefined();
}, 60000);

test.each(['posix', 'gnu'])(
  'a docker-archive written by GNU tar in %s format (long names, a long link target): indexed and pushed the same',
  async (format) => {
    const plain = join(dir, `long-${format}-source.tar`);
    await skopeo('copy', '--src-tls-verify=false', sourceRef, `docker-archive:${plain}:base/busybox:test`);
    const unpacked = join(dir, `long-${format}`);
    mkdirSync(unpacked);
    await exec('tar', ['-C', unpacked, '-xf', plain]);
    const entry = JSON.parse(readFileSync(join(unpacked, 'manifest.json'), 'utf8'))[0];
    // Names whose last part is over 100 bytes (no ustar prefix/name split can hold them): PAX
    // path records or GNU 'L' entries; the layer is reached through a symlink whose target is over
    // 100 bytes too (PAX linkpath, GNU 'K').
    const longDir = 'd'.repeat(120);
    const layerName = `${longDir}/${'l'.repeat(110)}.tar`;
    const configName = `${longDir}/${'c'.repeat(110)}.json`;
    mkdirSync(join(unpacked, longDir));
    renameSync(join(unpacked, entry.Layers[0]), join(unpacked, layerName));
    renameSync(join(unpacked, entry.Config), join(unpacked, configName));
    mkdirSync(join(unpacked, 'short'));
    symlinkSync(`../${layerName}`, join(unpacked, 'short', 'layer.tar'));
    writeFileSync(join(unpacked, 'manifest.json'), JSON.stringify([{ ...entry, Config: configName, Layers: ['short/layer.tar'] }]));
    const tar = join(dir, `long-${format}.tar`);
    // posix: a global header ('g') first too
    await exec('tar', ['-C', unpacked, `--format=${format}`, ...(format === 'posix' ? ['--pax-option=comment=a global header'] : []), '-cf', tar, '.']);
    const raw = readFileSync(tar);
    if (format === 'posix') {
      for (const record of [' comment=a global header\n', ` path=./${layerName}\n`, ` linkpath=../${layerName}\n`]) expect(raw.includes(record)).toBe(true);
    } else {
      expect(raw.includes('././@LongLink')).toBe(true);
    }

    // Each file's byte range in the archive holds exactly what GNU tar extracts for it.
    const index = indexTar(tar);
    for (const name of [layerName, configName, 'manifest.json']) {
      const found = index.entries.get(name)!;
      expect(raw.subarray(found.offset, found.offset + found.size).equals(readFileSync(join(unpacked, name)))).toBe(true);
    }
    expect(index.links.get('short/layer.tar')).toBe(layerName);

    const expected = await pushArchive(client, plain, repo(`arch/long-${format}-plain`));
    // Uploaded from the byte ranges the index found (the client and the registry check the digests).
    const result = await pushArchive(client, tar, repo(`arch/long-${format}`));
    expect(result.blobs.uploaded).toBe(2);
    expect(result.digest).toBe(expected.digest);
    await skopeo('copy', '--src-tls-verify=false', `docker://${target.host}/arch/long-${format}:v1`, `oci:${join(dir, `long-${format}-copy`)}:x`);
  },
  60000,
);
