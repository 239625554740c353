import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { runCli } from '../cli/run.js';
import { STARTERS } from '../../src/github/starters.js';
import { pinStarter } from '../../src/github/starter.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bi-init-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('src/github/starters.ts carries workflows/*.yml exactly (node scripts/starters.mjs)', () => {
  const files = readdirSync('workflows')
    .filter((f) => f.endsWith('.yml'))
    .sort();
  expect(Object.keys(STARTERS).sort()).toEqual(files);
  for (const f of files) expect(STARTERS[f]).toBe(readFileSync(join('workflows', f), 'utf8'));
});

test('init writes the starters with every build-image action pinned to the release', async () => {
  const { code, stdout } = await runCli(['init', dir]);
  expect(code).toBe(0);
  expect(stdout).toContain('build-images.yml');
  const written = readFileSync(join(dir, '.github/workflows/build-images.yml'), 'utf8');
  const uses = [...written.matchAll(/uses:\s*(coder\/build-image\S*)/g)].map((m) => m[1]);
  expect(uses).toEqual(['coder/build-image/actions/validate@v0.1.0', 'coder/build-image/actions/plan@v0.1.0', 'coder/build-image@v0.1.0', 'coder/build-image/actions/promote@v0.1.0']);
  expect(readFileSync(join(dir, '.github/workflows/reusable.yml'), 'utf8')).toContain('uses: coder/build-image/.github/workflows/build-images.yml@v0.1.0');
  // everything else is the starter as shipped
  expect(written.replace(/@v0\.1\.0/g, '@v1')).toBe(STARTERS['build-images.yml']);
});

test('init refuses to overwrite without --force, and --ref pins to a commit', async () => {
  mkdirSync(join(dir, '.github/workflows'), { recursive: true });
  writeFileSync(join(dir, '.github/workflows/build-images.yml'), 'mine\n');
  const refused = await runCli(['init', dir]);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(/build-images.yml already exist\(s\); nothing written \(--force overwrites\)/);
  expect(readFileSync(join(dir, '.github/workflows/build-images.yml'), 'utf8')).toBe('mine\n');
  expect(existsSync(join(dir, '.github/workflows/reusable.yml'))).toBe(false);
  const sha = 'a'.repeat(40);
  const forced = await runCli(['init', dir, '--force', '--ref', sha]);
  expect(forced.code).toBe(0);
  expect(readFileSync(join(dir, '.github/workflows/build-images.yml'), 'utf8')).toContain(`uses: coder/build-image@${sha}`);
});

test.each([
  [['init', '--ref', 'v1; rm -rf /'], 2, /--ref 'v1; rm -rf \/' is not a tag/],
  [['init', 'a', 'b'], 2, /at most one directory/],
  [['init', '/does/not/exist'], 1, /no such directory/],
])('init %j fails with one line', async (args, code, message) => {
  const run = await runCli(args as string[]);
  expect(run.code).toBe(code);
  expect(run.stderr).toMatch(message);
  expect(run.stderr.trim().split('\n')[0]).toMatch(message);
  expect(run.stderr).not.toMatch(/\n\s+at /);
});

test('pinStarter leaves other publishers alone', () => {
  expect(pinStarter('build-images.yml', 'v9')).toContain('uses: actions/checkout@v4');
});

test('the generator is current', () => {
  const before = readFileSync('src/github/starters.ts', 'utf8');
  spawnSync(process.execPath, ['scripts/starters.mjs'], { encoding: 'utf8' });
  expect(readFileSync('src/github/starters.ts', 'utf8')).toBe(before);
});
