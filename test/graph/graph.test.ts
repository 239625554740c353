import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createPlan, validateRepo } from '../../src/plan/index.js';
import { descendantsOf } from '../../src/graph/graph.js';
import { combineInputHash } from '../../src/graph/hash.js';
import { toMermaid } from '../../src/graph/mermaid.js';
import { runCli } from '../cli/run.js';

const variants = 'test/fixtures/good/variants';

test('variants are matched by tag, docker.io/ and library/ normalised, stages and digests ignored', async () => {
  const plan = await createPlan(variants, { conventionRegistry: 'ghcr.io/acme' });
  const parents = Object.fromEntries(Object.values(plan.images).map((i) => [i.name, i.parents]));
  expect(parents).toEqual({
    'base-centos': [],
    'base-ubuntu': [],
    tools: [],
    'app-centos': ['base-centos', 'tools'],
    'app-ubuntu': ['base-ubuntu', 'tools'],
    pinned: [],
    legacy: ['app-ubuntu'],
  });
  expect(plan.images['app-ubuntu']!.externalBases).toEqual(['docker.io/library/debian:12']);
  expect(plan.images['pinned']!.externalBases).toEqual(['ghcr.io/acme/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef']);
  expect(plan.images['app-centos']!.from).toEqual([
    { line: 2, ref: 'ghcr.io/acme/tools', parent: 'tools' },
    { line: 3, ref: 'docker.io/acme/base:centos', parent: 'base-centos', viaArg: 'BASE' },
  ]);
  expect(plan.images['legacy']).toMatchObject({ repository: 'ghcr.io/acme/legacy', context: 'images/legacy', file: 'images/legacy/Dockerfile' });
  expect(plan.order).toEqual(['base-centos', 'base-ubuntu', 'pinned', 'tools', 'app-centos', 'app-ubuntu', 'legacy']);
  expect(plan.levels).toEqual([['base-centos', 'base-ubuntu', 'pinned', 'tools'], ['app-centos', 'app-ubuntu'], ['legacy']]);
  expect(plan.environments['dev']!.containers).toEqual([{ name: 'env', image: 'app-ubuntu', template: 'app-ubuntu', primary: true }]);
});

test('build args override parameter defaults and ARG defaults', async () => {
  const plan = await createPlan(variants, { buildArgs: { BASE: 'acme/base:ubuntu' } });
  expect(plan.images['app-centos']!.parents).toEqual(['base-ubuntu', 'tools']);
  expect(plan.images['app-centos']!.buildArgs).toEqual({ BASE: 'acme/base:ubuntu' });
  expect(plan.images['tools']!.buildArgs).toEqual({});
});

test('descendants and mermaid', () => {
  const { graph } = validateRepo(variants);
  expect(descendantsOf(graph, 'base-ubuntu')).toEqual(['app-ubuntu', 'legacy']);
  expect(descendantsOf(graph, 'tools')).toEqual(['app-centos', 'app-ubuntu', 'legacy']);
});

test('the examples plan parents first, with mermaid and JSON output', async () => {
  const json = await runCli(['plan', 'examples', '--format', 'json']);
  expect(json.code).toBe(0);
  const plan = JSON.parse(json.stdout);
  expect(plan.order).toEqual(['base', 'golden', 'team-dev']);
  expect(plan.levels).toEqual([['base'], ['golden'], ['team-dev']]);
  expect(plan.images.golden).toMatchObject({ repository: 'ghcr.io/acme/golden', parents: ['base'], reasons: ['full build: no --since revision given'], resources: { cpu: '2', memory: '4Gi' } });
  expect(plan.images.base.contentHash).toMatch(/^[0-9a-f]{64}$/);
  const mermaid = await runCli(['plan', 'examples', '--format', 'mermaid']);
  expect(mermaid.stdout).toContain('n_base --> n_golden');
  expect(mermaid.stdout).toContain('n_golden --> n_team_dev');
  const text = await runCli(['plan', 'examples']);
  expect(text.stdout).toContain('Build 3 of 3 images in 3 levels');
});

test('plan refuses invalid templates with every problem and exit 1', async () => {
  const { code, stderr } = await runCli(['plan', 'test/fixtures/bad/cycle']);
  expect(code).toBe(1);
  expect(stderr).toContain('dependency cycle: b -> c -> a -> b');
});

test('named images are planned alone, with why', async () => {
  const plan = await createPlan('examples', { names: ['golden'] });
  expect(plan.order).toEqual(['golden']);
  expect(plan.images.golden!.reasons).toEqual(['named on the command line']);
  expect(plan.images.base!.selected).toBe(false);
});

test('plan names unknown images with a suggestion', async () => {
  const { code, stderr } = await runCli(['plan', 'examples', 'goldn']);
  expect(code).toBe(2);
  expect(stderr).toContain("unknown image 'goldn'; did you mean 'golden'?");
});

describe('change detection between commits', () => {
  let repo: string;
  const git = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' }).trim();
  beforeAll(() => {
    repo = mkdtempSync(join(tmpdir(), 'bi-changes-'));
    cpSync('examples', repo, { recursive: true });
    git('init', '-q', '-b', 'main');
    git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'add', '-A');
    git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-qm', 'initial');
  });
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  test('nothing changed: nothing to build', async () => {
    const plan = await createPlan(repo, { since: 'HEAD' });
    expect(plan.order).toEqual([]);
    expect(Object.values(plan.images).every((i) => !i.selected && i.reasons.length === 0)).toBe(true);
  });

  test('a context file, a watched path and a template change select images and their descendants, with reasons', async () => {
    writeFileSync(join(repo, 'images/golden/container-assets/motd'), 'changed\n');
    let plan = await createPlan(repo, { since: 'HEAD' });
    expect(plan.order).toEqual(['golden', 'team-dev']);
    expect(plan.images.golden!.reasons).toEqual(['context changed: images/golden/container-assets/motd']);
    expect(plan.images['team-dev']!.reasons).toEqual(['parent golden is rebuilt']);
    git('checkout', '-q', '--', '.');

    writeFileSync(join(repo, 'scripts/golden/new.sh'), 'echo new\n');
    plan = await createPlan(repo, { since: 'HEAD' });
    expect(plan.images.golden!.reasons).toEqual(['watched path (scripts/golden/**) changed: scripts/golden/new.sh']);
    rmSync(join(repo, 'scripts/golden/new.sh'));

    writeFileSync(join(repo, 'images/base/Dockerfile'), 'ARG BASE_IMAGE=docker.io/library/busybox:1.36\nFROM ${BASE_IMAGE}\nRUN true\n');
    plan = await createPlan(repo, { since: 'HEAD' });
    expect(plan.order).toEqual(['base', 'golden', 'team-dev']);
    expect(plan.images.base!.reasons).toEqual(['Dockerfile changed: images/base/Dockerfile']);
    git('checkout', '-q', '--', '.');
  });

  test('an unknown revision is a clear error; the all-zero SHA of a new branch builds everything', async () => {
    await expect(createPlan(repo, { since: 'no-such-rev' })).rejects.toThrow(/--since no-such-rev: no such commit.*fetch-depth: 0/);
    const plan = await createPlan(repo, { since: '0000000000000000000000000000000000000000' });
    expect(plan.order).toEqual(['base', 'golden', 'team-dev']);
  });
});

test('input hashes change with content and with parent digests', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bi-hash-'));
  try {
    cpSync('examples', dir, { recursive: true });
    const before = await createPlan(dir);
    writeFileSync(join(dir, 'images/golden/.dockerignore'), 'ignored.txt\n');
    const withIgnore = await createPlan(dir);
    writeFileSync(join(dir, 'images/golden/ignored.txt'), 'not in the context\n');
    const ignoredFile = await createPlan(dir);
    writeFileSync(join(dir, 'images/golden/extra.txt'), 'in the context\n');
    const extraFile = await createPlan(dir);
    expect(withIgnore.images.golden!.contentHash).not.toBe(before.images.golden!.contentHash);
    expect(ignoredFile.images.golden!.contentHash).toBe(withIgnore.images.golden!.contentHash);
    expect(extraFile.images.golden!.contentHash).not.toBe(ignoredFile.images.golden!.contentHash);
    expect(extraFile.images.base!.contentHash).toBe(before.images.base!.contentHash);
    const h = before.images.golden!.contentHash;
    expect(combineInputHash(h, { base: 'sha256:' + 'a'.repeat(64) })).not.toBe(combineInputHash(h, { base: 'sha256:' + 'b'.repeat(64) }));
    expect(toMermaid(before)).toContain('flowchart TD');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
