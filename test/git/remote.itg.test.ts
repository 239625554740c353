// src/systems/git against real repositories served over file://: refs resolved with
// ls-remote, one commit checked out into a temp dir and removed, clear errors.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkoutCommit, resolveRemoteRef } from '../../src/systems/git/index.js';
import { createPlan } from '../../src/plan/index.js';
import { startGitHttp } from '../harness/git-http.js';

const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' };
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env, encoding: 'utf8' }).trim();

let work: string;
let url: string;
let first: string;
let second: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'bi-git-'));
  git(work, 'init', '--quiet', '--bare', '--initial-branch=main', 'repo.git');
  url = `file://${join(work, 'repo.git')}`;
  git(work, 'clone', '--quiet', url, 'w');
  const w = join(work, 'w');
  writeFileSync(join(w, 'f.txt'), 'one\n');
  git(w, 'add', '.');
  git(w, 'commit', '--quiet', '-m', 'one');
  first = git(w, 'rev-parse', 'HEAD');
  git(w, 'tag', '-a', 'v1', '-m', 'release');
  writeFileSync(join(w, 'f.txt'), 'two\n');
  git(w, 'commit', '--quiet', '-am', 'two');
  second = git(w, 'rev-parse', 'HEAD');
  git(w, 'push', '--quiet', 'origin', 'HEAD:refs/heads/main', 'v1');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

test('branches, annotated tags (peeled), the default branch and full SHAs resolve to commits', async () => {
  expect(await resolveRemoteRef(url, 'main')).toBe(second);
  expect(await resolveRemoteRef(url, 'v1')).toBe(first);
  expect(await resolveRemoteRef(url)).toBe(second);
  expect(await resolveRemoteRef(url, first)).toBe(first);
});

test.each([
  [() => resolveRemoteRef(`file://${'/nonexistent/repo.git'}`, 'main'), /^cannot read file:\/\/\/nonexistent\/repo\.git: .*/],
  [() => resolveRemoteRef(`file:///dev/null`, undefined), /^cannot read file:\/\/\/dev\/null/],
  [() => resolveRemoteRef('ext::sh -c touch% /tmp/pwned', 'main'), /^cannot read ext::sh .*transport 'ext' not allowed/],
])('unreadable repositories are one clear line (%#)', async (call, message) => {
  await expect(call()).rejects.toThrow(message);
});

test('a missing ref is named', async () => {
  await expect(resolveRemoteRef(url, 'nope')).rejects.toThrow(`${url} has no branch or tag 'nope'`);
});

test('a checkout holds the commit asked for, without .git, and is removed', async () => {
  const checkout = await checkoutCommit(url, first, { ref: 'main' });
  expect(readFileSync(join(checkout.dir, 'f.txt'), 'utf8')).toBe('one\n');
  expect(existsSync(join(checkout.dir, '.git'))).toBe(false);
  await checkout.remove();
  expect(existsSync(checkout.dir)).toBe(false);
  await expect(checkoutCommit(url, 'f'.repeat(40))).rejects.toThrow(/^cannot check out ffffffffffff of file:/);
});

test('over git smart HTTP on loopback: refs resolve and a commit is checked out', async () => {
  const server = await startGitHttp(work);
  try {
    const http = `${server.url}/repo.git`;
    expect(await resolveRemoteRef(http, 'main')).toBe(second);
    expect(await resolveRemoteRef(http, 'v1')).toBe(first);
    const checkout = await checkoutCommit(http, first, { ref: 'main' });
    expect(readFileSync(join(checkout.dir, 'f.txt'), 'utf8')).toBe('one\n');
    await checkout.remove();
    // It went through git's smart protocol, as with GitHub.
    expect(server.log.some((l) => l.startsWith('POST /repo.git/git-upload-pack'))).toBe(true);
    await expect(resolveRemoteRef(`${server.url}/missing.git`, 'main')).rejects.toThrow(/^cannot read http:\/\/127\.0\.0\.1:\d+\/missing\.git: /);
  } finally {
    await server.stop();
  }
});

test('a plan for a run that builds nothing (smoke tests) never asks a template source remote; a build plan does', async () => {
  const templates = join(work, 'templates');
  const write = (path: string, text: string) => {
    mkdirSync(join(templates, path, '..'), { recursive: true });
    writeFileSync(join(templates, path), text);
  };
  write('.coder/images/fn.yaml', `name: fn\ntype: image\nspec:\n  context: fn\n  image: registry.example/acme/fn\n  source: { git: "${url}", ref: main }\n  smoke:\n    - { name: ok, run: "true" }\n`);
  write('fn/Dockerfile', 'FROM busybox\n');
  const built = await createPlan(templates);
  expect(built.images.fn!.source).toMatchObject({ url, commit: second });
  // The remote gone: a build cannot plan, a smoke test still can.
  rmSync(join(work, 'repo.git'), { recursive: true, force: true });
  await expect(createPlan(templates)).rejects.toThrow(/fn\.yaml: spec\.source: cannot read file:/);
  const smoke = await createPlan(templates, { buildsNothing: true });
  expect(smoke.images.fn!.smoke).toEqual([{ name: 'ok', run: 'true' }]);
  expect(smoke.images.fn!.source).toBeUndefined();
  expect(() => smoke.images.fn!.contentHash).toThrow(/no content hash in a plan made for a run that builds nothing/);
});
