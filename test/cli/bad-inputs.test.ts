// The bad-input corpus: every hostile or broken input ends in a located one-line message and
// exit 1, never a hang, an unbounded read or a stack trace. Inputs that cannot be committed
// (FIFOs, devices, directories named like files, symlinks leaving the repository) are made here.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './run.js';

const bad = (name: string) => join('test/fixtures/bad', name);

test.each([
  ['latin1', ['.coder/images/base.yaml:6:1: byte 0xE9 is not UTF-8 (it looks like Latin-1 or Windows-1252); save the file as UTF-8 (for example: iconv -f LATIN1 -t UTF-8 FILE > FILE.new)']],
  ['utf16', ['.coder/images/base.yaml: the template is UTF-16 text; save it as UTF-8 (for example: iconv -f UTF-16 -t UTF-8 FILE > FILE.new)']],
  ['latin1-dockerfile', ['images/base/Dockerfile:2:1: byte 0xA9 is not UTF-8']],
  ['nul-string', ['.coder/images/base.yaml:7:27: spec.parameters[0].default contains a NUL character (\\0); remove it']],
  [
    'newline-names',
    [
      '.coder/environments/dev.yaml:6:18: spec[0].credentials is not valid: the string "a\\nb"',
      '.coder/images/base.yaml:1:7: name is not valid: the string "base\\nevil"',
      '.coder/images/base.yaml:6:16: spec.credentials is not valid: the string "ghcr\\n::error::x"',
    ],
  ],
  [
    'absurd-numbers',
    [
      ".coder/environments/dev.yaml:6:10: cpu '1e309' is out of range",
      ".coder/environments/dev.yaml:7:13: memory '99999999999999999999Gi' is out of range",
      '.coder/images/base.yaml:7:40: spec.smoke[0].timeout must be <= 86400, not 99999999999',
      '.coder/images/base.yaml:8:21: spec.resources.cpu is a number too large to use (Infinity)',
    ],
  ],
  ['multi-document', [".coder/images/base.yaml:6:1: a second YAML document starts here ('---'); put one template in each file"]],
  ['deep-nesting', ['.coder/images/base.yaml:5:73: lists and mappings nested more than 64 levels deep']],
  // One unknown key no longer hides the template's other problems.
  ['unknown-key-hides', [".coder/images/base.yaml:6:3: unknown key 'colour' in spec", ".coder/images/base.yaml:8:21: cpu 'two' is not a Kubernetes quantity", ".coder/images/base.yaml:10:7: required parameter 'V' has no value"]],
  [
    'variant-and-tags',
    [
      '.coder/images/ruby.yaml:6:9: spec.tags and spec.variants both set',
      ".coder/images/ruby.yaml:9:13: variant image name 'ruby-this-variant-name-is-far-too-long-for-an-image-name-of-63-chars' (template name, '-', variant name) is not a valid name",
    ],
  ],
  ['empty-repo', [".coder: no templates found: expected .coder/images/<name>.yaml templates or the images/<name>/Dockerfile layout, and there is no Dockerfile here either. Is this the repository's root, and was it checked out?"]],
  [
    'stray-dockerfiles',
    ['.coder: no templates found: expected .coder/images/<name>.yaml templates or the images/<name>/Dockerfile layout. Dockerfiles found elsewhere (docker/api/Dockerfile, web/prod.Dockerfile): move each to images/<name>/Dockerfile'],
  ],
])('%s: exit 1, every problem located, nothing else', async (fixture, expected) => {
  const { code, stdout, stderr } = await runCli(['validate', bad(fixture)]);
  expect(code).toBe(1);
  const lines = stdout.split('\n').filter(Boolean);
  for (const line of expected) expect(lines.some((l) => l.startsWith(line))).toBe(true);
  expect(lines).toHaveLength(expected.length);
  expect(stdout + stderr).not.toMatch(/\n\s+at /);
});

test('YAML merge keys are accepted', async () => {
  const { code, stdout } = await runCli(['plan', 'test/fixtures/good/merge-keys', '--format', 'json']);
  expect(code).toBe(0);
  const plan = JSON.parse(stdout);
  expect(plan.images.base).toMatchObject({
    context: 'images/base',
    repository: 'ghcr.io/acme/base',
    smoke: [
      { name: 'sh', run: 'true' },
      { name: 'sh2', run: 'true' },
    ],
  });
});

describe('files that are not files', () => {
  let repo: string;
  let outside: string;
  beforeAll(() => {
    repo = mkdtempSync(join(tmpdir(), 'bi-bad-files-'));
    outside = mkdtempSync(join(tmpdir(), 'bi-outside-'));
    writeFileSync(join(outside, 'secret.yaml'), 'name: SECRET-CONTENT\n');
    writeFileSync(join(outside, 'Dockerfile'), 'FROM SECRET-CONTENT\n');
    const images = join(repo, '.coder/images');
    mkdirSync(images, { recursive: true });
    execFileSync('mkfifo', [join(images, 'fifo.yaml')]);
    mkdirSync(join(images, 'folder.yaml'));
    symlinkSync('/dev/zero', join(images, 'zero.yaml'));
    symlinkSync(join(outside, 'secret.yaml'), join(images, 'escape.yaml'));
    // Convention images whose Dockerfile is a FIFO, a directory, a device, a link out.
    for (const name of ['pipe', 'dir', 'dev', 'link']) mkdirSync(join(repo, 'images', name), { recursive: true });
    execFileSync('mkfifo', [join(repo, 'images/pipe/Dockerfile')]);
    mkdirSync(join(repo, 'images/dir/Dockerfile'));
    symlinkSync('/dev/zero', join(repo, 'images/dev/Dockerfile'));
    symlinkSync(join(outside, 'Dockerfile'), join(repo, 'images/link/Dockerfile'));
  });
  afterAll(() => {
    rmSync(repo, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  test('a template folder that is a symlink out of the repository is not read', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'bi-linked-repo-'));
    try {
      mkdirSync(join(elsewhere, '.coder'));
      symlinkSync(join(outside), join(elsewhere, '.coder/environments'));
      writeFileSync(join(outside, 'env.yaml'), 'name: SECRET-CONTENT\n');
      const { code, stdout } = await runCli(['validate', elsewhere]);
      expect(code).toBe(1);
      expect(stdout).toContain('.coder/environments: this folder is a symbolic link that leaves the repository; templates must be inside it');
      expect(stdout).not.toContain('SECRET-CONTENT');
    } finally {
      rmSync(join(outside, 'env.yaml'), { force: true });
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  test('FIFOs, directories, devices and links out are reported at once, their targets never echoed', async () => {
    const started = Date.now();
    const { code, stdout, stderr } = await runCli(['validate', repo]);
    expect(Date.now() - started).toBeLessThan(10000);
    expect(code).toBe(1);
    const lines = stdout.split('\n').filter(Boolean);
    expect(lines).toEqual([
      '.coder/images/escape.yaml: the template is a symbolic link that leaves the repository; templates and Dockerfiles must be inside it',
      '.coder/images/fifo.yaml: the template is a named pipe (FIFO), not a regular file',
      '.coder/images/folder.yaml: the template is a directory, not a regular file',
      '.coder/images/zero.yaml: the template is a symbolic link that leaves the repository; templates and Dockerfiles must be inside it',
      "images/dev/Dockerfile:1:1: dockerfile 'Dockerfile' is outside the repository",
      'images/dir/Dockerfile: the Dockerfile is a directory, not a regular file',
      "images/link/Dockerfile:1:1: dockerfile 'Dockerfile' is outside the repository",
      'images/pipe/Dockerfile: the Dockerfile is a named pipe (FIFO), not a regular file',
    ]);
    expect(stdout + stderr).not.toContain('SECRET-CONTENT');
    expect(stdout + stderr).not.toContain(outside);
    expect(stdout + stderr).not.toMatch(/\n\s+at /);
  });
});
