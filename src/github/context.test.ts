import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSince, runId, runOrigin } from './context.js';

const SHA = 'a'.repeat(40);
const NOW = new Date('2026-11-20T10:00:00Z');

test.each([
  ['a push to a branch', { GITHUB_SHA: SHA, GITHUB_REF: 'refs/heads/feature/x', GITHUB_REPOSITORY: 'acme/t' }, { commit: SHA, branch: 'feature/x', sourceUrl: 'https://github.com/acme/t' }],
  [
    'a pull request uses its head branch',
    { GITHUB_SHA: SHA, GITHUB_REF: 'refs/pull/7/merge', GITHUB_HEAD_REF: 'fix-it', GITHUB_REPOSITORY: 'acme/t', GITHUB_SERVER_URL: 'https://ghe.example' },
    { commit: SHA, branch: 'fix-it', sourceUrl: 'https://ghe.example/acme/t' },
  ],
  ['a tag push has no branch', { GITHUB_SHA: SHA, GITHUB_REF: 'refs/tags/v1' }, { commit: SHA }],
  ['outside Actions: nothing but the time', {}, {}],
])('runOrigin: %s', (_title, env, expected) => {
  expect(runOrigin(env, NOW)).toEqual({ created: '2026-11-20T10:00:00.000Z', ...expected });
});

test('defaultSince reads the push before, or the pull request base', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bi-event-'));
  try {
    const push = join(dir, 'push.json');
    const pr = join(dir, 'pr.json');
    writeFileSync(push, JSON.stringify({ before: 'b'.repeat(40) }));
    writeFileSync(pr, JSON.stringify({ pull_request: { base: { sha: 'c'.repeat(40) } } }));
    expect(defaultSince({ GITHUB_EVENT_PATH: push })).toBe('b'.repeat(40));
    expect(defaultSince({ GITHUB_EVENT_PATH: pr })).toBe('c'.repeat(40));
    expect(defaultSince({ GITHUB_EVENT_PATH: join(dir, 'missing.json') })).toBeUndefined();
    expect(defaultSince({})).toBeUndefined();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('runId names the run attempt', () => {
  expect(runId({ GITHUB_RUN_ID: '123', GITHUB_RUN_ATTEMPT: '2' })).toMatch(/^123-2-[0-9a-z]+$/);
});
