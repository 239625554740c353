// What a run of each bundle loads, recorded by record-loads.cjs (preloaded with --require):
// a run pays only for what it uses. The Kubernetes client (dist/vendor/) is read only when a
// run reaches Kubernetes; HTTP, TLS and node:crypto only when a run makes a request or a hash;
// node:child_process only when it starts a process; the CLI reads only the command it runs.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { runAction } from '../actions/run-action.js';

const root = process.cwd(); // jest runs from the repository root
const recorder = join(root, 'test/bundles/record-loads.cjs');

/** Builtins and dist/ files a run loaded (dist paths relative to the repository). */
function readLoads(file: string): { builtins: string[]; dist: string[] } {
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  return {
    builtins: lines.filter((l) => l.startsWith('builtin:')).map((l) => l.slice('builtin:'.length)),
    dist: lines
      .filter((l) => l.startsWith('file:'))
      .map((l) => relative(root, l.slice('file:'.length)))
      .filter((f) => f.startsWith('dist/')),
  };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bi-loads-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function loadsOf(bundle: string, inputs: Record<string, string>, cwd = root): Promise<{ builtins: string[]; dist: string[] }> {
  const record = join(dir, 'loads');
  const run = await runAction(join(root, bundle), inputs, { cwd, env: { RECORD_LOADS: record }, nodeArgs: ['--require', recorder] });
  expect(`${run.code} ${run.stdout}${run.stderr}`).toMatch(/^0 /);
  return readLoads(record);
}

test('validate reads one bundle and starts no process, request or hash', async () => {
  const { builtins, dist } = await loadsOf('dist/validate/index.js', { templates: 'examples' });
  expect(dist).toEqual(['dist/validate/index.js']);
  for (const heavy of ['child_process', 'crypto', 'http', 'https', 'net', 'tls']) expect(builtins).not.toContain(heavy);
});

test('a Dockerfile the line scan leaves to the parser: dockerfile-ast is read then, from dist/vendor/', async () => {
  const repo = join(dir, 'repo');
  cpSync(join(root, 'examples'), repo, { recursive: true });
  // A FROM continued over two lines is not plain: dockerfile/analyze.ts hands it to the parser.
  writeFileSync(join(repo, 'images/base/Dockerfile'), 'ARG BASE_IMAGE=docker.io/library/busybox:1.36\nFROM \\\n  ${BASE_IMAGE}\nRUN true\n');
  const { dist } = await loadsOf('dist/plan/index.js', { templates: '.' }, repo);
  expect(dist).toEqual(['dist/plan/index.js', 'dist/vendor/dockerfile-ast.js']);
});

test('the root action with nothing to build never reads the Kubernetes client, nor loads HTTP or node:crypto', async () => {
  // The examples in a repository of their own, committed: nothing changed since HEAD.
  const repo = join(dir, 'repo');
  cpSync(join(root, 'examples'), repo, { recursive: true });
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: repo });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'examples');
  const { builtins, dist } = await loadsOf('dist/build-image/index.js', { templates: '.', images: 'changed', since: 'HEAD' }, repo);
  expect(dist).toEqual(['dist/build-image/index.js']);
  expect(builtins).toContain('child_process'); // git, for what changed
  for (const heavy of ['crypto', 'http', 'https', 'tls']) expect(builtins).not.toContain(heavy); // no context hashed: nothing is built
});

test('the CLI reads its dispatcher and the one command it runs', () => {
  const record = join(dir, 'loads');
  execFileSync(process.execPath, ['--require', recorder, join(root, 'dist/cli/index.js'), 'validate', 'examples'], { cwd: root, env: { ...process.env, RECORD_LOADS: record } });
  const { builtins, dist } = readLoads(record);
  expect(dist).toEqual(['dist/cli/commands/validate.js', 'dist/cli/index.js']);
  for (const heavy of ['child_process', 'crypto', 'http', 'https']) expect(builtins).not.toContain(heavy);
});

test('every file a bundle requires from dist/ is there', () => {
  const bundles = readdirSync(join(root, 'dist'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.js'))
    .map((f) => join('dist', f));
  expect(bundles).toContain('dist/cli/commands/env.js');
  const missing: string[] = [];
  let seen = 0;
  for (const bundle of bundles) {
    for (const [, target] of readFileSync(join(root, bundle), 'utf8').matchAll(/require\("(\.\.?\/[^"]+)"\)/g)) {
      seen++;
      if (!existsSync(join(root, dirname(bundle), target!))) missing.push(`${bundle} -> ${target}`);
    }
  }
  expect(seen).toBeGreaterThan(10); // the vendor bundles and every CLI command
  expect(missing).toEqual([]);
});
