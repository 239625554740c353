// `build-image build` as people run it: flags, dry runs that touch nothing, a real build with
// buildah to a loopback registry, and a second run that reuses everything.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import type { TestRegistry } from '../harness/registry.js';
import { registryWithBusybox } from '../harness/buildah.js';
import { freePort } from '../harness/ports.js';

async function cli(...args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => (out += t), err: (t) => (err += t), cwd: process.cwd(), env: { ...process.env, DOCKER_CONFIG: join(tmpdir(), 'bi-no-docker-config') } });
  return { code, out, err };
}

let registry: TestRegistry;
let busybox: string;

beforeAll(async () => {
  ({ registry, busybox } = await registryWithBusybox());
}, 120000);

afterAll(async () => {
  await registry?.stop();
});

test.each([
  [['build', 'examples', '--insecure'], 'build: --insecure needs --registry (the registry it applies to)'],
  [['build', 'examples', '--builder', 'docker'], "build: --builder must be one of kaniko, buildah, not 'docker'"],
  [['build', 'examples', '--max-parallel', '0'], "build: --max-parallel must be a whole number of at least 1, not '0'"],
  [['build', 'examples', 'base', '--since', 'HEAD~1'], 'build: give image names or --since, not both'],
  [['build', 'examples', '--frobnicate'], "Unknown option '--frobnicate'"],
])('%j is a usage error', async (args, message) => {
  const { code, err } = await cli(...args);
  expect(code).toBe(2);
  expect(err).toContain(message);
});

test('--help describes the command', async () => {
  const { code, out } = await cli('build', '--help');
  expect(code).toBe(0);
  expect(out).toContain('Usage: build-image build [DIR] [IMAGE...] [options]');
});

test('invalid templates list their problems and build nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bi-cli-bad-'));
  try {
    mkdirSync(join(dir, '.coder/images'), { recursive: true });
    writeFileSync(join(dir, '.coder/images/bad.yaml'), 'name: bad\ntype: image\nspec: {}\n');
    const { code, err } = await cli('build', dir, '--builder', 'buildah', '--dry-run');
    expect(code).toBe(1);
    expect(err).toMatch(/\.coder\/images\/bad\.yaml:\d+:\d+/);
    expect(err).toContain('build: the templates have');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--dry-run prints the buildah commands in order, with pinned Dockerfiles, and asks no registry', async () => {
  const nobody = `127.0.0.1:${await freePort()}`; // nothing listens here
  const { code, out, err } = await cli('build', 'examples', '--registry', nobody, '--insecure', '--dry-run', '--build-arg', `BASE_IMAGE=${nobody}/library/busybox:1.36`);
  expect(err).toBe('');
  expect(code).toBe(0);
  expect(out).toContain('# order: base, golden, team-dev');
  expect(out).toMatch(new RegExp(`buildah --storage-driver vfs bud --isolation chroot .*--build-arg BASE_IMAGE=${nobody}/library/busybox:1.36 .*--tls-verify=false .*examples/images/base\\n`));
  expect(out).toMatch(new RegExp(`#   FROM ${nobody}/acme/base@sha256:[0-9a-f]{64}\\n`));
  expect(out).toContain(`docker://${nobody}/acme/team-dev:ubuntu-test`);
  expect(out.indexOf('# base:')).toBeLessThan(out.indexOf('# golden:'));
  expect(out.indexOf('# golden:')).toBeLessThan(out.indexOf('# team-dev:'));
});

test('--dry-run --builder kaniko prints the pods it would create', async () => {
  const { code, out } = await cli('build', 'examples', '--builder', 'kaniko', '--namespace', 'builds', '--registry', 'ghcr.io/acme', '--dry-run', 'golden');
  expect(code).toBe(0);
  expect(out).toContain('# golden: in namespace builds');
  expect(out).toMatch(/kind: Pod\n\s*metadata:\n\s*name: build-golden-/);
  expect(out).toContain('--destination=ghcr.io/acme/golden:test');
  expect(out).not.toContain('&a1'); // plain YAML, no anchors
});

test('a real build with buildah, then a run that reuses everything', async () => {
  const args = ['build', 'examples', '--registry', `${registry.host}/cli`, '--insecure', '--build-arg', `BASE_IMAGE=${busybox}`, '--format', 'json'];
  const first = await cli(...args);
  expect(first.code).toBe(0);
  const images = JSON.parse(first.out) as Record<string, { status: string; reference: string; smoke: string; tags: string[] }>;
  expect(Object.entries(images).map(([name, i]) => [name, i.status, i.smoke])).toEqual([
    ['base', 'built', 'passed'],
    ['golden', 'built', 'passed'],
    ['team-dev', 'built', 'passed'],
  ]);
  expect(images.golden!.reference).toMatch(new RegExp(`^${registry.host}/cli/acme/golden@sha256:`));
  expect(first.err).toMatch(/^golden \| STEP 1\/\d+: FROM .*\/cli\/acme\/base@sha256:/m);
  expect(first.err).toMatch(/^team-dev \| built /m);

  const again = await cli(...args.slice(0, -2), 'golden');
  expect(again.code).toBe(0);
  expect(again.out).toMatch(/^base\s+reused\s/m);
  expect(again.out).toMatch(/^golden\s+reused\s.*passed \(2\)$/m);
}, 300000);

test('a build from uncommitted edits gets no commit tag, and says so', async () => {
  const { cpSync } = await import('node:fs');
  const { execFileSync } = await import('node:child_process');
  const repo = mkdtempSync(join(tmpdir(), 'bi-dirty-'));
  try {
    cpSync('examples', repo, { recursive: true });
    const git = (...args: string[]) => execFileSync('git', ['-C', repo, '-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { encoding: 'utf8' }).trim();
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-qm', 'initial');
    const sha = git('rev-parse', 'HEAD');
    const clean = await cli('build', repo, 'base', '--dry-run', '--registry', '127.0.0.1:5000');
    expect(clean.out).toContain(`docker://127.0.0.1:5000/acme/base:${sha}`);
    writeFileSync(join(repo, 'images/base/extra.txt'), 'not committed\n');
    const dirty = await cli('build', repo, 'base', '--dry-run', '--registry', '127.0.0.1:5000');
    expect(dirty.code).toBe(0);
    expect(dirty.err).toContain('uncommitted changes');
    expect(dirty.out).not.toContain(sha);
    expect(dirty.out).toContain('docker://127.0.0.1:5000/acme/base:main');
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});
