import { resolve } from 'node:path';
import { runAction } from './run-action.js';

test('validate: one annotation per problem with file, line, column and title; outputs; summary table', async () => {
  const run = await runAction('dist/validate/index.js', { templates: 'test/fixtures/bad/cross-file' });
  expect(run.code).toBe(1);
  const annotations = run.stdout.split('\n').filter((l) => l.startsWith('::error'));
  expect(annotations).toHaveLength(8); // seven problems and the final failure
  expect(annotations[0]).toBe(
    "::error title=Unknown image,file=test/fixtures/bad/cross-file/.coder/environments/team.yaml,line=6,endLine=6,col=12,endColumn=16::unknown image template 'bsae' (did you mean 'base'?); name an image template of this repository, or set 'github' to the repository that holds it",
  );
  expect(annotations[7]).toBe('::error::7 template problem(s); see the annotations');
  expect(run.outputs.valid).toBe('false');
  const problems = JSON.parse(run.outputs.problems!);
  expect(problems).toHaveLength(7);
  expect(problems[0]).toEqual({ file: 'test/fixtures/bad/cross-file/.coder/environments/team.yaml', line: 6, column: 12, message: expect.stringContaining("unknown image template 'bsae'") });
  expect(run.summary).toContain('| File | Line | Problem |');
  expect(run.stdout + run.stderr).not.toMatch(/\n\s+at /);
});

test('validate: valid examples', async () => {
  const run = await runAction('dist/validate/index.js', { templates: 'examples' });
  expect(run.code).toBe(0);
  expect(run.outputs.valid).toBe('true');
  expect(run.outputs.problems).toBe('[]');
  expect(run.summary).toContain('All templates are valid (3 images, 1 environments, 1 secrets)');
});

test('plan: order, levels, matrix and the mermaid graph', async () => {
  const run = await runAction('dist/plan/index.js', { templates: 'examples', 'build-args': 'BASE_IMAGE=127.0.0.1:5000/busybox:1' });
  expect(run.code).toBe(0);
  expect(JSON.parse(run.outputs.order!)).toEqual(['base', 'golden', 'team-dev']);
  expect(JSON.parse(run.outputs.levels!)).toEqual([['base'], ['golden'], ['team-dev']]);
  const matrix = JSON.parse(run.outputs.matrix!);
  expect(matrix.include.map((e: { name: string; level: number }) => [e.name, e.level])).toEqual([
    ['base', 0],
    ['golden', 1],
    ['team-dev', 2],
  ]);
  expect(JSON.parse(run.outputs.plan!).images.base.buildArgs).toEqual({ BASE_IMAGE: '127.0.0.1:5000/busybox:1' });
  expect(run.outputs.empty).toBe('false');
  expect(run.summary).toContain('```mermaid');
  expect(run.summary).toContain('n_base --> n_golden');
});

test('plan: invalid templates fail with annotations, and a bad input value is one clear line', async () => {
  const invalid = await runAction('dist/plan/index.js', { templates: 'test/fixtures/bad/cycle' });
  expect(invalid.code).toBe(1);
  expect(invalid.stdout).toContain('::error title=Dependency cycle,file=test/fixtures/bad/cycle/images/a/Dockerfile,line=1,col=1::dependency cycle: b -> c -> a -> b');
  const badArgs = await runAction('dist/plan/index.js', { templates: 'examples', 'build-args': 'no equals sign' });
  expect(badArgs.code).toBe(1);
  expect(badArgs.stdout).toContain("::error::input 'build-args': expected NAME=VALUE lines, got 'no equals sign'");
  const missing = await runAction('dist/plan/index.js', { templates: 'does-not-exist' });
  expect(missing.code).toBe(1);
  expect(missing.stdout).toContain(`::error::no such directory: ${resolve('does-not-exist')}`);
});
