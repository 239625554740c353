// Promotion against the real registry: by digest in one repository (no blob traffic), blob
// mounts across repositories, streamed copies across registries, refusals, and rollback.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RegistryClient, sha256 } from '../../src/systems/registry/client.js';
import { MediaType } from '../../src/systems/registry/types.js';
import { promote } from '../../src/promote/promote.js';
import { promoteCommand } from '../../src/cli/commands/promote.js';
import { main } from '../../src/cli/main.js';
import { startRegistry, type TestRegistry } from '../harness/registry.js';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.js';
import { pushTestImage } from './images.js';

const exec = promisify(execFile);
const FAST = { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 };

let registry: TestRegistry;
let other: TestRegistry;
let proxy: FaultProxy;
let client: RegistryClient;
let host: string;

beforeAll(async () => {
  [registry, other] = await Promise.all([startRegistry(), startRegistry()]);
  proxy = await startFaultProxy(registry.host);
  host = proxy.host;
  client = new RegistryClient({ insecure: [proxy.host, other.host], backoff: FAST });
});
afterAll(async () => {
  await proxy.stop();
  await Promise.all([registry.stop(), other.stop()]);
});

const repo = (name: string) => ({ registry: host, repository: name });
let counter = 0;
async function image(name: string, tag: string) {
  return pushTestImage(client, repo(name), tag, [[{ name: `f${counter++}`, content: `${name}:${tag}:${counter}` }]]);
}
function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), cwd: process.cwd(), env: { ...process.env, DOCKER_CONFIG: mkdtempSync(join(tmpdir(), 'bi-dc-')) } } };
}

test('same repository: latest moves to the tested digest by a manifest put, no blob moves', async () => {
  const tested = await image('p/same', 'test');
  const old = await image('p/same', 'latest');
  proxy.log.length = 0;
  const report = await promote(client, [
    {
      source: repo('p/same'),
      fromTag: 'test',
      digest: tested.digest,
      targets: [
        { ...repo('p/same'), tag: 'latest' },
        { ...repo('p/same'), tag: 'stable' },
      ],
    },
  ]);
  expect(report.promoted[0]!.targets).toEqual([
    { reference: `${host}/p/same:latest`, previousDigest: old.digest, digest: tested.digest, changed: true, method: 'none' },
    { reference: `${host}/p/same:stable`, previousDigest: null, digest: tested.digest, changed: true, method: 'none' },
  ]);
  expect(proxy.log.filter((l) => l.includes('/blobs/'))).toEqual([]);
  expect((await client.headManifest(repo('p/same'), 'latest'))?.digest).toBe(tested.digest);
  expect(report.rollback).toEqual([`build-image promote ${host}/p/same@${old.digest} --to latest`]);
});

test('refuses when the tested tag has moved since it was tested, and moves nothing', async () => {
  const tested = await image('p/moved', 'test');
  const old = await image('p/moved', 'latest');
  await image('p/moved', 'test'); // test moves on
  await expect(promote(client, [{ source: repo('p/moved'), fromTag: 'test', digest: tested.digest, targets: [{ ...repo('p/moved'), tag: 'latest' }] }])).rejects.toThrow(
    /p\/moved:test now points at sha256:[0-9a-f]+, not at the tested sha256:.*moved since it was tested; refusing/,
  );
  expect((await client.headManifest(repo('p/moved'), 'latest'))?.digest).toBe(old.digest);
});

test('another repository of the same registry: blobs are mounted, not uploaded', async () => {
  const tested = await image('p/src', 'test');
  proxy.log.length = 0;
  const report = await promote(client, [{ source: repo('p/src'), fromTag: 'test', targets: [{ ...repo('p/dst'), tag: 'latest' }] }]);
  expect(report.promoted[0]!.targets[0]).toMatchObject({ method: 'mount', previousDigest: null, digest: tested.digest });
  expect(proxy.log.filter((l) => l.includes('mount=')).length).toBe(2);
  expect(proxy.log.filter((l) => l.startsWith('PATCH') || (l.startsWith('PUT') && l.includes('/blobs/')))).toEqual([]);
  const { stdout } = await exec('skopeo', ['inspect', '--tls-verify=false', `docker://${host}/p/dst:latest`]);
  expect(JSON.parse(stdout).Digest).toBe(tested.digest);
});

test('another registry: blobs are streamed across, and skopeo can copy the result', async () => {
  const tested = await image('p/cross', 'test');
  const report = await promote(client, [{ source: repo('p/cross'), digest: tested.digest, targets: [{ registry: other.host, repository: 'mirror/cross', tag: 'latest' }] }]);
  expect(report.promoted[0]!.targets[0]).toMatchObject({ method: 'copy', digest: tested.digest });
  const dir = mkdtempSync(join(tmpdir(), 'bi-oci-'));
  await exec('skopeo', ['copy', '--src-tls-verify=false', `docker://${other.host}/mirror/cross:latest`, `oci:${dir}:x`]);
  const { stdout } = await exec('skopeo', ['inspect', '--tls-verify=false', `docker://${other.host}/mirror/cross:latest`]);
  expect(JSON.parse(stdout).Digest).toBe(tested.digest);
});

test('an index (two platforms) is copied with its child manifests, bytes unchanged', async () => {
  const a = await image('p/multi', 'amd64');
  const b = await image('p/multi', 'arm64');
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: [
        { mediaType: MediaType.dockerManifest, digest: a.digest, size: a.manifest.length, platform: { os: 'linux', architecture: 'amd64' } },
        { mediaType: MediaType.dockerManifest, digest: b.digest, size: b.manifest.length, platform: { os: 'linux', architecture: 'arm64' } },
      ],
    }),
  );
  const digest = await client.putManifest(repo('p/multi'), 'test', { bytes: index, mediaType: MediaType.ociIndex });
  expect(digest).toBe(sha256(index));
  await promote(client, [{ source: repo('p/multi'), fromTag: 'test', digest, targets: [{ registry: other.host, repository: 'mirror/multi', tag: 'latest' }] }]);
  const copied = await client.requireManifest({ registry: other.host, repository: 'mirror/multi' }, 'latest');
  expect(copied.bytes.equals(index)).toBe(true);
  const { stdout } = await exec('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${other.host}/mirror/multi:latest`]);
  expect(stdout).toBe(index.toString());
  const child = await exec('skopeo', ['inspect', '--tls-verify=false', '--override-arch', 'arm64', `docker://${other.host}/mirror/multi:latest`]);
  expect(JSON.parse(child.stdout).Layers).toEqual([sha256(b.layers[0]!)]);
});

test('a set is all or nothing: one failed check moves nothing', async () => {
  const t1 = await image('set/a', 'test');
  const old1 = await image('set/a', 'latest');
  await expect(
    promote(client, [
      { source: repo('set/a'), fromTag: 'test', digest: t1.digest, targets: [{ ...repo('set/a'), tag: 'latest' }] },
      { source: repo('set/missing'), fromTag: 'test', targets: [{ ...repo('set/missing'), tag: 'latest' }] },
    ]),
  ).rejects.toThrow(/nothing promoted: .*set\/missing:test does not exist/);
  expect((await client.headManifest(repo('set/a'), 'latest'))?.digest).toBe(old1.digest);
});

test('a move that fails midway puts back the tags already moved', async () => {
  const names = ['mid/a', 'mid/b', 'mid/c'];
  const tested = await Promise.all(names.map((n) => image(n, 'test')));
  const old = await Promise.all(names.map((n) => image(n, 'latest')));
  proxy.inject({ method: 'PUT', path: /mid\/c\/manifests\/latest/, status: 500, times: 3 });
  const error = await promote(
    client,
    names.map((n, i) => ({ source: repo(n), fromTag: 'test', digest: tested[i]!.digest, targets: [{ ...repo(n), tag: 'latest' }] })),
    { concurrency: 1 },
  ).then(
    () => undefined,
    (e: Error) => e,
  );
  expect(error?.message).toMatch(/promotion failed: put manifest .*mid\/c:latest: .*answered 500/);
  expect(error?.message).toMatch(new RegExp(`rolled back: ${host}/mid/a:latest, ${host}/mid/b:latest`));
  for (let i = 0; i < names.length; i++) expect((await client.headManifest(repo(names[i]!), 'latest'))?.digest).toBe(old[i]!.digest);
});

test('CLI: promotes a set, prints previous and new digests and a rollback command that works', async () => {
  const ta = await image('cli/a', 'test');
  const tb = await image('cli/b', 'test');
  const oldA = await image('cli/a', 'latest');
  const { out, err, io: cliIo } = io();
  const code = await promoteCommand.run([`${host}/cli/a`, `${host}/cli/b`, '--from', 'test', '--to', 'latest', '--insecure'], cliIo);
  expect(code).toBe(0);
  const report = JSON.parse(out.join(''));
  expect(report.promoted.map((p: { targets: { previousDigest: string | null; digest: string }[] }) => p.targets[0])).toMatchObject([
    { previousDigest: oldA.digest, digest: ta.digest },
    { previousDigest: null, digest: tb.digest },
  ]);
  expect(report.rollback).toEqual([`build-image promote ${host}/cli/a@${oldA.digest} --to latest --insecure`]);
  expect(err.join('')).toContain('To roll back:');
  // run the rollback command as printed
  const rollback = io();
  expect(await main(report.rollback[0].split(' ').slice(1), rollback.io)).toBe(0);
  expect((await client.headManifest(repo('cli/a'), 'latest'))?.digest).toBe(oldA.digest);
});

test('CLI: bad flags and a mismatched digest are clear errors with non-zero exits', async () => {
  const t = io();
  expect(await main(['promote', `${host}/cli/a`, '--to', 'latest', '--insecure'], t.io)).toBe(2);
  expect(t.err.join('')).toMatch(/give --from TAG or --digest/);
  const u = io();
  expect(await main(['promote', `${host}/cli/a`, '--from', 'test', '--digest', 'sha256:abc', '--insecure'], u.io)).toBe(1);
  expect(u.err.join('')).toMatch(/invalid --digest 'sha256:abc'/);
  const v = io();
  expect(await main(['promote', `${host}/cli/a`, '--from', 'test', '--digest', `sha256:${'0'.repeat(64)}`, '--insecure'], v.io)).toBe(1);
  expect(v.err.join('')).toMatch(/nothing promoted: .*cli\/a:test now points at .*refusing to promote/);
  expect(v.err.join('')).not.toMatch(/\n\s+at /);
});
