import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { runCli } from './run.js';

const bad = (name: string) => join('test/fixtures/bad', name);

// Every broken repo: exit 1, and each expected message at its file:line:column.
test.each([
  ['syntax-error', ['.coder/images/base.yaml:4:12: YAML syntax error']],
  // One unknown key no longer hides the template's other problems: the misspelt key is read as
  // the key it misspells, and that context does not exist.
  ['unknown-key', [".coder/images/base.yaml:4:3: unknown key 'contxt' in spec; did you mean 'context'?", ".coder/images/base.yaml:4:3: context directory './images/base' does not exist"]],
  ['wrong-type', ['.coder/images/base.yaml:5:9: spec.tags must be a list', '.coder/images/base.yaml:8:12: spec.smoke[0].run must be a string', '.coder/environments/env.yaml:8:16: spec[0].env[0].value must be a string']],
  ['wrong-kind', [".coder/images/base.yaml:2:7: type must be 'image'"]],
  ['missing-key', [".coder/images/base.yaml:4:3: spec is missing the required key 'image'"]],
  [
    'cross-file',
    [
      ".coder/environments/team.yaml:6:12: unknown image template 'bsae' (did you mean 'base'?)",
      ".coder/environments/team.yaml:7:10: cpu 'two' is not a Kubernetes quantity",
      ".coder/environments/team.yaml:8:13: memory '4 gigs' is not a Kubernetes quantity; write it like '4Gi'",
      ".coder/environments/team.yaml:11:38: unknown secret 'nope'",
      ".coder/environments/team.yaml:12:11: duplicate container name 'env'",
      '.coder/environments/team.yaml:13:14: two primary containers',
      ".coder/environments/team.yaml:15:13: memory '512m' means millibytes",
    ],
  ],
  [
    'duplicate-name',
    [
      ".coder/images/b.yaml:1:7: duplicate image name 'base': also defined in .coder/images/a.yaml",
      '.coder/images/a.yaml:5:10: ghcr.io/acme/base:latest is published by .coder/images/a.yaml and by .coder/images/b.yaml (a template without fixed tags publishes latest)',
      '.coder/images/b.yaml:5:10: ghcr.io/acme/base:latest is published by .coder/images/b.yaml and by .coder/images/a.yaml',
    ],
  ],
  ['context-escape', [".coder/images/base.yaml:4:12: context '../../' is outside the repository"]],
  ['missing-dockerfile', ['.coder/images/base.yaml:4:12: missing Dockerfile: images/base/Dockerfile does not exist']],
  ['no-from', ['images/base/Dockerfile:1:1: the Dockerfile has no FROM instruction']],
  ['required-parameter', [".coder/images/base.yaml:6:7: required parameter 'VERSION' has no value"]],
  ['invalid-repository', ['.coder/images/base.yaml:4:10: spec.image: invalid repository name']],
  ['cycle', ['images/a/Dockerfile:1:1: dependency cycle: b -> c -> a -> b', 'images/b/Dockerfile:1:1: dependency cycle', 'images/c/Dockerfile:1:1: dependency cycle']],
  ['alias-bomb', ['.coder/images/base.yaml:1:1: too many YAML alias expansions']],
  ['binary', ['.coder/images/base.yaml: binary file']],
  ['empty', ['.coder/images/base.yaml:1:1: empty template file']],
  ['oversized', ['.coder/images/base.yaml: file is 1100059 bytes; templates are limited to 1 MiB']],
  ['unresolved-arg', ["images/base/Dockerfile:2:6: FROM ${BASE}: 'BASE' has no value"]],
  [
    'devcontainer',
    [
      '.coder/environments/dev.yaml:5:19: .devcontainer/devcontainer.json: features are not supported (ghcr.io/devcontainers/features/node:1); install those tools in the Dockerfile instead',
      ".coder/environments/typo.yaml:8:18: unknown key 'fromSecrett' in spec[0].env[0].value; did you mean 'fromSecret'?",
      ".coder/environments/typo.yaml:8:16: unknown secret 'db'",
    ],
  ],
  // Two templates publishing one repository:tag; the FROM of a tag neither publishes (c) is an outside image, no problem.
  [
    'duplicate-tag',
    [
      '.coder/images/a.yaml:6:9: ghcr.io/acme/base:ubuntu is published by .coder/images/a.yaml and by .coder/images/b.yaml',
      '.coder/images/b.yaml:6:9: ghcr.io/acme/base:ubuntu is published by .coder/images/b.yaml and by .coder/images/a.yaml',
    ],
  ],
])('%s: exit 1 with every problem located', async (fixture, expected) => {
  const { code, stdout, stderr } = await runCli(['validate', bad(fixture)]);
  expect(code).toBe(1);
  for (const line of expected) expect(stdout).toContain(line);
  expect(stdout.split('\n').filter(Boolean)).toHaveLength(expected.length);
  expect(stderr).toMatch(/^\d+ problems? in \d+ file\(s\)\n$/);
  expect(stdout + stderr).not.toMatch(/\n\s+at /);
});

test('json format: valid flag and problems with file, line, column, message', async () => {
  const { code, stdout } = await runCli(['validate', bad('unknown-key'), '--format', 'json']);
  expect(code).toBe(1);
  expect(JSON.parse(stdout)).toEqual({
    valid: false,
    problems: [
      { file: '.coder/images/base.yaml', line: 4, column: 3, message: "unknown key 'contxt' in spec; did you mean 'context'?" },
      { file: '.coder/images/base.yaml', line: 4, column: 3, message: "context directory './images/base' does not exist" },
    ],
  });
});

test('github format: workflow commands with escaped properties', async () => {
  const { code, stdout } = await runCli(['validate', bad('context-escape'), '--format', 'github']);
  expect(code).toBe(1);
  expect(stdout).toBe("::error file=.coder/images/base.yaml,line=4,col=12,endColumn=18,title=Context outside repository::context '../../' is outside the repository; contexts are relative to the repository root and must stay inside it\n");
});

test('the examples are valid', async () => {
  const { code, stdout } = await runCli(['validate', 'examples']);
  expect(code).toBe(0);
  expect(stdout).toBe('valid: 3 images, 1 environments, 1 secrets\n');
});

test('credential names are checked when given', async () => {
  const { code, stdout } = await runCli(['validate', 'test/fixtures/good/variants', '--credentials', 'ghcr,dockerhub']);
  expect(code).toBe(1);
  expect(stdout).toContain("unknown credentials 'ghrc' (did you mean 'ghcr'?)");
});

test.each([
  [['validate', '--format', 'xml'], /--format must be one of text, json, github, not 'xml'/],
  [['validate', '--bogus'], /Unknown option '--bogus'/],
  [['validate', 'a', 'b'], /expected at most one DIR/],
  [['validate', '/nonexistent-dir'], /no such directory/],
  [['frobnicate'], /unknown command 'frobnicate'/],
])('usage errors exit 2 without a stack: %p', async (args, message) => {
  const { code, stdout, stderr } = await runCli(args);
  expect(code).toBe(args[1] === '/nonexistent-dir' ? 1 : 2);
  expect(stderr).toMatch(message);
  expect(stdout + stderr).not.toMatch(/\n\s+at /);
});

test('--help on every command', async () => {
  for (const command of ['validate', 'plan']) {
    const { code, stdout } = await runCli([command, '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain(`Usage: build-image ${command}`);
  }
  const { code, stdout } = await runCli(['--help']);
  expect(code).toBe(0);
  expect(stdout).toMatch(/validate\s+check templates/);
});

test('the bundled CLI gives the same verdicts, quickly and without stack traces', () => {
  for (const fixture of ['alias-bomb', 'binary', 'oversized', 'cycle']) {
    const started = Date.now();
    const result = spawnSync(process.execPath, ['dist/cli/index.js', 'validate', bad(fixture)], { encoding: 'utf8', timeout: 10000 });
    expect(result.status).toBe(1);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(Date.now() - started).toBeLessThan(5000);
  }
  expect(execFileSync(process.execPath, ['dist/cli/index.js', 'validate', 'examples'], { encoding: 'utf8' })).toContain('valid');
});

test('each lazily loaded command has the summary the command list shows', async () => {
  const { commands } = await import('../../src/cli/commands/index.js');
  for (const entry of commands) {
    const command = await entry.load();
    expect([command.name, command.summary]).toEqual([entry.name, entry.summary]);
  }
});
