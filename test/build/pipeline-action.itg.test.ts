// The root action and actions/smoke-test, run the way the runner runs them: a node process
// with INPUT_* variables and GITHUB_OUTPUT / GITHUB_STEP_SUMMARY / GITHUB_STATE files. The
// entry points run from source through tsx (the bundles are built by `npm run build`).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry, type TestRegistry } from '../harness/registry.js';
import { buildah, pushBusyboxImage } from '../harness/buildah.js';
import { storageDirFor } from '../../src/builders/buildah/builder.js';

const SHA = '2222222222222222222222222222222222222222';

let registry: TestRegistry;
let work: string;

beforeAll(async () => {
  registry = await startRegistry();
  work = mkdtempSync(join(tmpdir(), 'bi-action-'));
  await pushBusyboxImage(`${registry.host}/library/busybox:1.36`);
}, 120000);

afterAll(async () => {
  await registry?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** `name<<delimiter` blocks of a GITHUB_OUTPUT / GITHUB_STATE file. */
function readCommandFile(path: string): Record<string, string> {
  const text = readFileSync(path, 'utf8');
  const out: Record<string, string> = {};
  const re = /^([^<\n]+)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  for (const m of text.matchAll(re)) out[m[1]!] = m[3]!;
  return out;
}

async function runEntry(entry: string, inputs: Record<string, string>, extraEnv: Record<string, string> = {}) {
  const files = Object.fromEntries(['output', 'summary', 'state'].map((f) => [f, join(work, `${entry.replace(/\W/g, '_')}-${f}-${Date.now()}`)]));
  for (const f of Object.values(files)) writeFileSync(f, '');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    // The run's private temp dir and image storage (test/harness/global-setup.mjs).
    ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
    ...(process.env.CONTAINERS_STORAGE_CONF ? { CONTAINERS_STORAGE_CONF: process.env.CONTAINERS_STORAGE_CONF } : {}),
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_STATE: files.state,
    GITHUB_WORKSPACE: process.cwd(),
    GITHUB_SHA: SHA,
    GITHUB_REF: 'refs/heads/main',
    GITHUB_REPOSITORY: 'acme/templates',
    GITHUB_RUN_ID: '77',
    ...extraEnv,
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stdout += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout, outputs: readCommandFile(files.output!), state: readCommandFile(files.state!), summary: readFileSync(files.summary!, 'utf8') };
}

test('build-image builds the examples with buildah; smoke-test and post run after it', async () => {
  const common = {
    templates: 'examples',
    registry: `${registry.host}/action`,
    builder: 'buildah',
    'insecure-registries': registry.host,
    'build-args': `BASE_IMAGE=${registry.host}/library/busybox:1.36`,
    credentials: `ci:\n  registry: ${registry.host}\n  username: robot\n  password: s3cr3t-value`,
  };
  const main = await runEntry('src/actions/build-image/index.ts', { ...common, images: 'all', 'max-parallel': '1' });
  expect(main.stdout).not.toContain('::error');
  expect(main.code).toBe(0);
  // The password is masked before anything else runs.
  expect(main.stdout).toContain('::add-mask::s3cr3t-value');
  expect(main.stdout).toMatch(/::group::base: building[\s\S]*STEP 1\/\d+: FROM[\s\S]*::endgroup::\nbase: built/);
  const images = JSON.parse(main.outputs.images!) as Record<string, { status: string; digest: string; reference: string; tags: string[]; smoke: string }>;
  expect(Object.keys(images)).toEqual(['base', 'golden', 'team-dev']);
  for (const image of Object.values(images)) expect(image).toMatchObject({ status: 'built', smoke: 'passed', digest: expect.stringMatching(/^sha256:/) });
  expect(images.golden!.reference).toBe(`${registry.host}/action/acme/golden@${images.golden!.digest}`);
  expect(images.golden!.tags).toEqual(['test', SHA, 'main', expect.stringMatching(/^inputs-[0-9a-f]{64}$/)]);
  expect(main.summary).toContain('```mermaid');
  expect(main.summary).toMatch(/\| golden \| built \| `sha256:/);
  expect(main.state).toMatchObject({ builder: 'buildah', 'run-id': expect.stringMatching(/^77-1-/) });

  const smoke = await runEntry('src/actions/smoke-test/index.ts', { ...common, built: main.outputs.images! });
  expect(smoke.code).toBe(0);
  expect(smoke.outputs.passed).toBe('true');
  const results = JSON.parse(smoke.outputs.results!) as Record<string, { status: string; reference: string; results: { name: string; passed: boolean }[] }>;
  expect(results['team-dev']).toMatchObject({ status: 'passed', reference: images['team-dev']!.reference });
  expect(results['team-dev']!.results.map((r) => [r.name, r.passed])).toEqual([
    ['user', true],
    ['layers', true],
  ]);
  expect(smoke.summary).toMatch(/\| team-dev \| passed \|/);

  // Promote what the build tested: each image's tags move to exactly its tested digest.
  const promote = await runEntry('src/actions/promote/index.ts', { built: main.outputs.images!, 'insecure-registries': registry.host });
  expect(promote.stdout).not.toContain('::error');
  expect(promote.code).toBe(0);
  const moved = JSON.parse(promote.outputs.result!) as { promoted: { targets: { reference: string; digest: string }[] }[] };
  expect(moved.promoted.flatMap((p) => p.targets.map((t) => [t.reference, t.digest]))).toEqual([
    [`${registry.host}/action/acme/base:latest`, images.base!.digest],
    [`${registry.host}/action/acme/golden:latest`, images.golden!.digest],
    [`${registry.host}/action/acme/team-dev:ubuntu`, images['team-dev']!.digest],
  ]);

  // Without `built`, the smoke-test action resolves each image's test tag to a digest.
  const byTag = await runEntry('src/actions/smoke-test/index.ts', { ...common, images: 'golden' });
  expect(JSON.parse(byTag.outputs.results!).golden).toMatchObject({ status: 'passed', reference: images.golden!.reference });

  // The run's private buildah storage is gone once main returns.
  const runId = main.state['run-id']!;
  expect(existsSync(storageDirFor(runId))).toBe(false);

  // Post: removes what a killed run left behind (a working container in its storage).
  const storage = storageDirFor(runId);
  const global = ['--root', join(storage, 'root'), '--runroot', join(storage, 'run')];
  await buildah([...global, 'from', '--name', 'left-behind', 'scratch']);
  const post = await runEntry('src/actions/build-image/post-index.ts', {}, { 'STATE_run-id': runId, STATE_builder: 'buildah' });
  expect(post.code).toBe(0);
  expect(post.stdout).toContain(`removed the buildah storage left by run ${runId}`);
  expect(existsSync(storage)).toBe(false);
}, 300000);

test('bad inputs fail with one clear line', async () => {
  const bad = await runEntry('src/actions/build-image/index.ts', { templates: 'examples', builder: 'docker' });
  expect(bad.code).toBe(1);
  expect(bad.stdout.trim()).toBe("::error::input 'builder' must be kaniko or buildah, not 'docker'");
  const parallel = await runEntry('src/actions/build-image/index.ts', { templates: 'examples', builder: 'buildah', 'max-parallel': 'lots' });
  expect(parallel.stdout.trim()).toBe("::error::input 'max-parallel' must be a whole number of at least 1, not 'lots'");
}, 60000);
