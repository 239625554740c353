// W2: `build-image build DIR IMAGE --preview` with buildah and the real registry (behind a
// counting proxy): the working tree with uncommitted edits becomes `preview-<hash>`; the
// same tree again builds and pushes nothing; an edit gives a new tag; parents are their test digests.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { startRegistry, type TestRegistry } from '../harness/registry.js';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.js';
import { pushBusyboxImage } from '../harness/buildah.js';

let registry: TestRegistry;
let proxy: FaultProxy;
let work: string;
let dir: string;

async function cli(...args: string[]) {
  let out = '';
  let err = '';
  const before = proxy.log.length;
  const code = await main(args, { out: (t) => (out += t), err: (t) => (err += t), cwd: work, env: { ...process.env, DOCKER_CONFIG: join(work, 'none') } });
  return { code, out, err, writes: proxy.log.slice(before).filter((l) => !/^(GET|HEAD) /.test(l)) };
}

const preview = (name: string) => cli('build', dir, name, '--preview', '--registry', proxy.host, '--insecure');

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.host);
  work = mkdtempSync(join(tmpdir(), 'bi-preview-'));
  await pushBusyboxImage(`${proxy.host}/library/busybox:1.36`);
  dir = join(work, 'templates');
  const files: Record<string, string> = {
    '.coder/images/base.yaml': `name: base\ntype: image\nspec:\n  context: images/base\n  image: ${proxy.host}/acme/base\n`,
    'images/base/Dockerfile': `FROM ${proxy.host}/library/busybox:1.36\nCOPY base.txt /base.txt\n`,
    'images/base/base.txt': 'base\n',
    '.coder/images/app.yaml': `name: app\ntype: image\nspec:\n  context: images/app\n  image: ${proxy.host}/acme/app\n`,
    'images/app/Dockerfile': `FROM ${proxy.host}/acme/base\nCOPY app.txt /app.txt\n`,
    'images/app/app.txt': 'app\n',
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  execFileSync('git', ['init', '--quiet', '-b', 'main', dir]);
  execFileSync('git', ['-C', dir, 'add', '.']);
  execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '--quiet', '-m', 'templates']);
}, 120000);

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('a parent without a test image is named, with the command that fixes it', async () => {
  const { code, err } = await preview('app');
  expect(code).toBe(1);
  expect(err).toContain(`app builds on base, which has no image at ${proxy.host}/acme/base:test; build it first (build-image build base)`);
});

test('--preview takes exactly one image', async () => {
  const { code, err } = await cli('build', dir, '--preview');
  expect(code).toBe(2);
  expect(err).toContain('build: --preview builds one image');
});

test('uncommitted edits become preview-<hash>; the same tree builds nothing; an edit gives a new tag', async () => {
  expect((await cli('build', dir, 'base', '--registry', proxy.host, '--insecure', '--skip-smoke')).code).toBe(0);
  writeFileSync(join(dir, 'images/app/app.txt'), 'app, edited and not committed\n');

  const first = await preview('app');
  expect(first.code).toBe(0);
  const match = new RegExp(`^${proxy.host.replace(/\./g, '\\.')}/acme/app:preview-([0-9a-f]{64})@sha256:[0-9a-f]{64}\\n$`).exec(first.out);
  expect(match).not.toBeNull();
  expect(first.writes.length).toBeGreaterThan(0);
  // Only the preview tag was written: no test, branch or commit tag of app moved.
  expect(first.writes.filter((w) => w.startsWith('PUT ') && w.includes('/manifests/'))).toEqual([`PUT /v2/acme/app/manifests/preview-${match![1]}`]);

  const again = await preview('app');
  expect(again.code).toBe(0);
  expect(again.out).toBe(first.out);
  expect(again.writes).toEqual([]);
  expect(again.err).toContain('this content was built before; nothing to build');

  writeFileSync(join(dir, 'images/app/app.txt'), 'app, edited twice\n');
  const edited = await preview('app');
  expect(edited.code).toBe(0);
  expect(edited.out).not.toContain(match![1]);
  expect(edited.out).toMatch(/:preview-[0-9a-f]{64}@sha256:/);
}, 300000);
