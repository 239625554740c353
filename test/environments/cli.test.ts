// `build-image env` usage and template errors: one clear line and the right exit code, before any
// registry, builder or cluster is touched.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../cli/run.js';

const EXAMPLES = join(process.cwd(), 'examples');

test.each([
  [[], 2, 'env: name an operation (build, up, status, down)'],
  [['restart', 'team-a'], 2, "env: unknown operation 'restart'; use one of build, up, status, down"],
  [['up'], 2, 'env up: name the environment (a file in .coder/environments/)'],
  [['up', 'team-a', EXAMPLES, '--delete-volumes'], 2, 'env: --delete-volumes applies to down'],
  [['up', 'team-a', EXAMPLES, '--timeout', 'soon'], 2, "env: --timeout must be a number of seconds, not 'soon'"],
  [['build', 'team-a', EXAMPLES, '--insecure'], 2, 'env: --insecure needs --registry (the registry it applies to)'],
  [['build', 'teama', EXAMPLES], 1, "no environment 'teama' in"],
])('env %j exits %i: %s', async (args, code, message) => {
  const result = await runCli(['env', ...args]);
  expect(result.stderr).toContain(message);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.code).toBe(code);
});

test('an unknown environment names the closest one; a bad personalize step is one line', async () => {
  const unknown = await runCli(['env', 'build', 'team-b', EXAMPLES]);
  expect(unknown.stderr).toContain("no environment 'team-b'");
  expect(unknown.stderr).toContain("(did you mean 'team-a'?)");
  const repo = mkdtempSync(join(tmpdir(), 'bi-env-cli-'));
  try {
    cpSync(EXAMPLES, repo, { recursive: true });
    writeFileSync(join(repo, '.coder', 'environments', 'bad.yaml'), 'name: bad\ntype: environment\nspec:\n  - name: env\n    image: no-such-template\n');
    const bad = await runCli(['env', 'up', 'bad', repo, '--dry-run']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(".coder/environments/bad.yaml:5:12: unknown image template 'no-such-template'");
    writeFileSync(join(repo, '.coder', 'environments', 'bad.yaml'), 'name: bad\ntype: environment\nspec:\n  - name: env\n    image: team-dev\n    personalize: ["FROM busybox", "echo hi"]\n');
    const steps = await runCli(['env', 'build', 'bad', repo]);
    expect(steps.code).toBe(1);
    expect(steps.stderr).toBe(
      "build-image env: .coder/environments/bad.yaml: container 'env': personalize step 1: FROM is not allowed; personalize steps extend the chosen image; personalize step 2: 'echo hi' is not a Dockerfile instruction; to run a command write 'RUN echo hi'\n",
    );
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});
