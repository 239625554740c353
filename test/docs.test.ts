import { spawnSync } from 'node:child_process';

test("the README's template and action reference matches schemas/ and the action.yml files", () => {
  const result = spawnSync(process.execPath, ['scripts/docs.mjs', '--check'], { encoding: 'utf8' });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
});
