// The image minimums read from real images (buildah-built busybox, then layers that add and
// delete files) in the real registry.
import { RegistryClient } from '../../src/systems/registry/client.js';
import { checkImageMinimums } from '../../src/images/minimums.js';
import { main } from '../../src/cli/main.js';
import { startRegistry, type TestRegistry } from '../harness/registry.js';
import { buildah, pushBusyboxImage } from '../harness/buildah.js';

let registry: TestRegistry;
let client: RegistryClient;

beforeAll(async () => {
  registry = await startRegistry();
  client = new RegistryClient({ insecure: [registry.host] });
  await pushBusyboxImage(`${registry.host}/min/busybox:root`);
  await pushBusyboxImage(`${registry.host}/min/busybox:coder`, { user: 'coder' });
  const full = `localhost/bi-min-full-${process.pid}`;
  const deleted = `localhost/bi-min-deleted-${process.pid}`;
  // layer 2 adds git and a CA bundle; layer 3 deletes git and busybox's wget link
  const add = await buildah(['from', '--tls-verify=false', `docker://${registry.host}/min/busybox:coder`]);
  try {
    await buildah([
      'run',
      '--isolation',
      'chroot',
      '--user',
      'root',
      add,
      '--',
      '/bin/sh',
      '-c',
      'mkdir -p /usr/bin /etc/ssl/certs && printf "#!/bin/sh\\necho git\\n" > /usr/bin/git && chmod 755 /usr/bin/git && echo cert > /etc/ssl/certs/ca-certificates.crt',
    ]);
    await buildah(['commit', '--format', 'docker', add, full]);
    await buildah(['push', '--tls-verify=false', full, `docker://${registry.host}/min/full:latest`]);
  } finally {
    await buildah(['rm', add]).catch(() => undefined);
  }
  const del = await buildah(['from', '--tls-verify=false', `docker://${registry.host}/min/full:latest`]);
  try {
    await buildah(['run', '--isolation', 'chroot', '--user', 'root', del, '--', '/bin/rm', '/usr/bin/git']);
    await buildah(['commit', '--format', 'docker', del, deleted]);
    await buildah(['push', '--tls-verify=false', deleted, `docker://${registry.host}/min/deleted:latest`]);
  } finally {
    await buildah(['rm', del]).catch(() => undefined);
    await buildah(['rmi', full, deleted]).catch(() => undefined);
  }
}, 180000);
afterAll(() => registry.stop());

const repo = (name: string) => ({ registry: registry.host, repository: name });
const verdicts = (rules: { id: string; passed: boolean }[]) => Object.fromEntries(rules.map((r) => [r.id, r.passed]));

test('busybox as root: shell and busybox pass; git, CA certificates and non-root fail', async () => {
  const report = await checkImageMinimums(client, repo('min/busybox'), 'root');
  expect(verdicts(report.rules)).toEqual({ shell: true, 'download-tool': true, git: false, 'ca-certificates': false, 'non-root-user': false });
  expect(report.rules.find((r) => r.id === 'shell')!.detail).toBe('/bin/sh -> /bin/busybox');
  expect(report.passed).toBe(false);
});

test('a later layer adds git and certificates: everything passes with USER coder', async () => {
  const report = await checkImageMinimums(client, repo('min/full'), 'latest');
  expect(verdicts(report.rules)).toEqual({ shell: true, 'download-tool': true, git: true, 'ca-certificates': true, 'non-root-user': true });
  expect(report.rules.find((r) => r.id === 'non-root-user')!.detail).toBe('USER coder (uid 1000)');
});

test('a file deleted by a later layer (whiteout) is absent', async () => {
  const report = await checkImageMinimums(client, repo('min/deleted'), 'latest');
  expect(verdicts(report.rules)).toEqual({ shell: true, 'download-tool': true, git: false, 'ca-certificates': true, 'non-root-user': true });
});

test('layers streamed (over the whole-layer limit) give the same reports as layers read whole', async () => {
  for (const [name, tag] of [
    ['min/busybox', 'root'],
    ['min/full', 'latest'],
    ['min/deleted', 'latest'],
  ] as const) {
    const whole = await checkImageMinimums(client, repo(name), tag);
    const streamed = await checkImageMinimums(client, repo(name), tag, { wholeLayerLimit: 0 });
    expect(streamed).toEqual(whole);
  }
});

test('CLI: text and JSON reports, exit 1 when a rule fails, clear errors', async () => {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t), cwd: process.cwd(), env: { ...process.env, DOCKER_CONFIG: '/nonexistent' } };
  expect(await main(['check-image', `${registry.host}/min/busybox:root`, '--minimums', 'coder', '--insecure'], io)).toBe(1);
  expect(out.join('')).toMatch(/FAIL git: no git in/);
  expect(out.join('')).toMatch(/3 of 5 image minimums not met/);
  out.length = 0;
  expect(await main(['check-image', `${registry.host}/min/full`, '--format', 'json', '--insecure'], io)).toBe(0);
  expect(JSON.parse(out.join('')).passed).toBe(true);
  expect(await main(['check-image', `${registry.host}/min/nothing:latest`, '--insecure'], io)).toBe(1);
  expect(err.join('')).toMatch(/min\/nothing:latest: manifest not found/);
  expect(await main(['check-image', `${registry.host}/min/full`, '--minimums', 'strict', '--insecure'], io)).toBe(2);
});
