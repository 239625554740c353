// The plan action run from source (tsx) the way the runner runs it: the matrix outputs a
// workflow can use as they are, and the registry notice.
import { runAction } from './run-action.js';

const fromSource = { env: { NODE_OPTIONS: '--import tsx' } };

test('plan: workspace-relative matrix, layers, has-images, lowercased registry with a notice; a markdown summary', async () => {
  const run = await runAction('src/actions/plan/index.ts', { templates: 'examples', 'build-args': 'BASE_IMAGE=127.0.0.1:5000/busybox:1', 'convention-registry': 'ghcr.io/Acme' }, fromSource);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(run.outputs['has-images']).toBe('true');
  const matrix = JSON.parse(run.outputs.matrix!);
  expect(matrix.include[0]).toMatchObject({ name: 'base', images: 'base', level: 0 });
  for (const entry of matrix.include) {
    expect(entry.context).toMatch(/^examples\//);
    expect(entry.dockerfile).toMatch(/^examples\/.*Dockerfile$/);
  }
  expect(JSON.parse(run.outputs.layers!)).toEqual({
    include: [
      { level: 0, images: 'base' },
      { level: 1, images: 'golden' },
      { level: 2, images: 'team-dev' },
    ],
  });
  expect(run.stdout).toContain("::notice::input 'convention-registry': registry paths are lowercase, so 'ghcr.io/Acme' is used as 'ghcr.io/acme'");
  expect(run.summary).toContain('| base | `');
  expect(run.summary).not.toContain('<code>');
  expect(run.summary).toContain('```mermaid');
}, 120000);

test('plan: nothing changed gives an empty matrix and has-images false', async () => {
  const run = await runAction('src/actions/plan/index.ts', { templates: 'examples', 'build-args': 'BASE_IMAGE=127.0.0.1:5000/busybox:1', since: 'HEAD' }, fromSource);
  expect(run.code).toBe(0);
  expect(run.outputs['has-images']).toBe('false');
  expect(JSON.parse(run.outputs.matrix!)).toEqual({ include: [] });
  expect(run.summary).toContain('Nothing to build');
}, 120000);
