// The CLI as a process in a shell pipeline: `plan | head` and `validate | head` end quietly,
// `plan --format json` answers in JSON even when the templates are invalid, and an empty
// repository is exit 1 with a message. The CLI is bundled with esbuild into a temporary folder
// (as it ships: no TypeScript loader) and run by bash.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let work: string;
let cli: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'bi-cli-pipeline-'));
  const { build } = await import('esbuild');
  writeFileSync(join(work, 'package.json'), '{"type": "module"}\n');
  await build({
    entryPoints: ['src/cli/index.ts'],
    outdir: join(work, 'cli'),
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  });
  cli = join(work, 'cli/index.js');
  // Enough images that the output is far bigger than a pipe's buffer.
  const big = join(work, 'big');
  mkdirSync(join(big, '.coder/images'), { recursive: true });
  for (let i = 0; i < 400; i++) {
    mkdirSync(join(big, `images/i${i}`), { recursive: true });
    writeFileSync(join(big, `images/i${i}/Dockerfile`), `FROM ${i === 0 ? 'busybox' : `ghcr.io/acme/i${i - 1}`}\n`);
    writeFileSync(join(big, `.coder/images/i${i}.yaml`), `name: i${i}\ntype: image\nspec:\n  context: images/i${i}\n  image: ghcr.io/acme/i${i}\n`);
  }
  const broken = join(work, 'broken');
  mkdirSync(join(broken, '.coder/images'), { recursive: true });
  for (let i = 0; i < 2000; i++) writeFileSync(join(broken, `.coder/images/b${i}.yaml`), `name: b${i}\ntype: image\nspec:\n  image: ghcr.io/acme/b${i}\n  colour: blue\n`);
  mkdirSync(join(work, 'empty'));
}, 120000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs `node cli ARGS | head -n 1` in bash: the CLI's exit code and stderr, and what head printed. */
function piped(args: string[]): { code: number; stderr: string; head: string } {
  const script = `node "$CLI" "$@" 2>"$WORK/stderr" | head -n 1; echo "exit=\${PIPESTATUS[0]}" >&2`;
  const result = spawnSync('bash', ['-c', script, 'bash', ...args], { encoding: 'utf8', env: { ...process.env, CLI: cli, WORK: work }, timeout: 60000 });
  const code = Number(/exit=(\d+)/.exec(result.stderr)?.[1]);
  return { code, stderr: readFileSync(join(work, 'stderr'), 'utf8'), head: result.stdout };
}

test('plan | head ends quietly with the plan exit code', () => {
  for (const format of ['json', 'text', 'mermaid']) {
    const { code, stderr, head } = piped(['plan', join(work, 'big'), '--format', format]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(head).not.toBe('');
  }
});

test('validate | head ends quietly with exit 1 for the invalid templates', () => {
  const { code, stderr, head } = piped(['validate', join(work, 'broken')]);
  expect(head).toMatch(/^\.coder\/images\/b\d+\.yaml:\d+:\d+: /);
  expect(stderr).not.toMatch(/EPIPE|\n\s+at /);
  expect(code).toBe(1);
});

test('plan --format json on invalid templates prints the problems as JSON, exit 1', () => {
  const result = spawnSync(process.execPath, [cli, 'plan', 'test/fixtures/bad/cycle', '--format', 'json'], { encoding: 'utf8' });
  expect(result.status).toBe(1);
  const json = JSON.parse(result.stdout);
  expect(json.valid).toBe(false);
  expect(json.problems).toContainEqual({ file: 'images/a/Dockerfile', line: 1, column: 1, message: 'dependency cycle: b -> c -> a -> b' });
});

test.each([['plan'], ['validate']])('%s of an empty repository: exit 1 with a message', (command) => {
  const result = spawnSync(process.execPath, [cli, command, join(work, 'empty')], { encoding: 'utf8' });
  expect(result.status).toBe(1);
  expect(result.stdout + result.stderr).toContain('no templates found');
  expect(result.stdout + result.stderr).not.toMatch(/valid: 0 images|\n\s+at /);
});
