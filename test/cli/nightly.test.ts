// `build-image nightly` and `plan` as people mistype them: one clear line and exit code 2 for
// bad flags; an unreadable source repository names the template file. Nothing is built.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './run.js';

test.each([
  [['nightly', '.', '--force', '--check'], 'nightly: --force rebuilds everything; --check builds nothing: give one'],
  [['nightly', '.', '--insecure'], 'nightly: --insecure needs --registry (the registry it applies to)'],
  [['nightly', 'a', 'b'], 'nightly: one directory at most, got a b'],
  [['nightly', '--max-parallel', 'x'], "nightly: --max-parallel must be a whole number of at least 1, not 'x'"],
  [['nightly', '--format', 'yaml'], "nightly: --format must be one of text, json, not 'yaml'"],
  [['build', 'examples', '--preview'], 'build: --preview builds one image: name it (build-image build DIR IMAGE --preview)'],
  [['build', 'examples', 'base', '--preview', '--dry-run'], 'build: --preview takes no --since or --dry-run'],
])('%j is a usage error', async (args, message) => {
  const { code, stderr } = await runCli(args);
  expect(stderr).toBe(`build-image ${message}\n`);
  expect(code).toBe(2);
});

test('nightly --help says what rebuilds an image', async () => {
  const { code, stdout } = await runCli(['nightly', '--help']);
  expect(code).toBe(0);
  expect(stdout).toContain('Usage: build-image nightly [DIR] [options]');
  expect(stdout).toContain('--force');
});

test('a source repository that cannot be read is one line naming the template', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bi-cli-source-'));
  try {
    mkdirSync(join(dir, '.coder/images'), { recursive: true });
    mkdirSync(join(dir, 'fn'));
    writeFileSync(join(dir, 'fn/Dockerfile'), 'FROM busybox\n');
    writeFileSync(join(dir, '.coder/images/fn.yaml'), `name: fn\ntype: image\nspec:\n  context: fn\n  image: acme/fn\n  source: { git: "file://${dir}/missing.git", ref: main }\n`);
    const { code, stderr } = await runCli(['plan', dir]);
    expect(code).toBe(1);
    expect(stderr).toMatch(new RegExp(`^build-image plan: \\.coder/images/fn\\.yaml: spec\\.source: cannot read file://${dir}/missing\\.git: [^\\n]+\\n$`));
    writeFileSync(join(dir, '.coder/images/fn.yaml'), `name: fn\ntype: image\nspec:\n  context: fn\n  image: acme/fn\n  sources: [{ git: "file:///x.git", github: acme/x }]\n`);
    const both = await runCli(['validate', dir]);
    expect(both.code).toBe(1);
    expect(both.stdout + both.stderr).toContain("a linked source names its repository once: either 'github: owner/repo' or 'git: URL'");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
