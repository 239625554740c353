// W1b and function images against the real parts: the CNCF registry behind a counting
// loopback proxy (every request it sees is logged), buildah, and git repositories served over
// file://. The nightly builds what was never built, does nothing at all when nothing moved
// (zero write requests), and rebuilds exactly what a moved upstream tag or a new source
// commit reaches.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { startRegistry, type TestRegistry } from '../harness/registry.js';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.js';
import { pushBusyboxImage } from '../harness/buildah.js';
import { readPublished } from '../../src/nightly/nightly.js';
import { createRegistryClient } from '../../src/systems/registry/setup.js';

const GIT_ENV = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' };
function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: { ...process.env, ...GIT_ENV }, encoding: 'utf8' }).trim();
}

let registry: TestRegistry;
let proxy: FaultProxy;
let work: string;
let templates: string;
let sourceWork: string;
let sourceUrl: string;

interface Report {
  changed: boolean;
  images: Record<string, { changed: boolean; reasons: string[]; status?: string; reference?: string }>;
}

async function nightly(...extra: string[]): Promise<{ code: number; report: Report; err: string; writes: string[]; seconds: number; outputs: string }> {
  let out = '';
  let err = '';
  const outputFile = join(work, `output-${Date.now()}`);
  writeFileSync(outputFile, '');
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_CONFIG: join(work, 'no-docker-config'), GITHUB_OUTPUT: outputFile };
  delete env.GITHUB_ACTIONS;
  const before = proxy.log.length;
  const started = Date.now();
  const code = await main(['nightly', templates, '--registry', proxy.host, '--insecure', '--format', 'json', ...extra], {
    out: (t) => (out += t),
    err: (t) => (err += t),
    cwd: work,
    env,
  });
  const seconds = (Date.now() - started) / 1000;
  const writes = proxy.log.slice(before).filter((l) => !/^(GET|HEAD) /.test(l));
  if (code !== 0) throw new Error(`nightly exited ${code}:\n${err}`);
  return { code, report: JSON.parse(out) as Report, err, writes, seconds, outputs: readFileSync(outputFile, 'utf8') };
}

function rebuilt(report: Report): string[] {
  return Object.values(report.images)
    .filter((i) => i.status === 'built')
    .map((i) => Object.keys(report.images).find((k) => report.images[k] === i)!)
    .sort();
}

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.host);
  work = mkdtempSync(join(tmpdir(), 'bi-nightly-'));
  // Upstream: a busybox whose tag will move, and a second base that stays put.
  await pushBusyboxImage(`${proxy.host}/library/busybox:1.36`);
  await pushBusyboxImage(`${proxy.host}/library/steady:1`, { user: '1000' });

  // A source repository (a function's handler), bare, served over file://.
  const bare = join(work, 'handler.git');
  git(work, 'init', '--quiet', '--bare', bare);
  sourceUrl = `file://${bare}`;
  sourceWork = join(work, 'handler');
  git(work, 'clone', '--quiet', bare, sourceWork);
  mkdirSync(join(sourceWork, 'fn'));
  writeFileSync(join(sourceWork, 'fn/handler.sh'), 'echo v1\n');
  writeFileSync(join(sourceWork, 'README'), 'not part of the context\n');
  git(sourceWork, 'add', '.');
  git(sourceWork, 'commit', '--quiet', '-m', 'v1');
  git(sourceWork, 'push', '--quiet', 'origin', 'HEAD:refs/heads/main');

  // The templates: base <- app (follows the source repository); steady; fn (built from it).
  templates = join(work, 'templates');
  const files: Record<string, string> = {
    '.coder/images/base.yaml': `name: base\ntype: image\nspec:\n  context: images/base\n  image: ${proxy.host}/acme/base\n`,
    'images/base/Dockerfile': `FROM ${proxy.host}/library/busybox:1.36\nCOPY base.txt /base.txt\n`,
    'images/base/base.txt': 'base\n',
    '.coder/images/app.yaml': `name: app\ntype: image\nspec:\n  context: images/app\n  image: ${proxy.host}/acme/app\n  sources:\n    - { git: "${sourceUrl}", ref: main }\n`,
    'images/app/Dockerfile': `FROM ${proxy.host}/acme/base:latest\nCOPY app.txt /app.txt\n`,
    'images/app/app.txt': 'app\n',
    '.coder/images/steady.yaml': `name: steady\ntype: image\nspec:\n  context: images/steady\n  image: ${proxy.host}/acme/steady\n`,
    'images/steady/Dockerfile': `FROM ${proxy.host}/library/steady:1\nCOPY steady.txt /steady.txt\n`,
    'images/steady/steady.txt': 'steady\n',
    '.coder/images/fn.yaml': `name: fn\ntype: image\nspec:\n  context: functions/fn\n  image: ${proxy.host}/acme/fn\n  source: { git: "${sourceUrl}", ref: main, path: fn }\n  smoke:\n    - { name: handler, run: "test \\"$(sh /app/handler.sh)\\" = v1 -o \\"$(sh /app/handler.sh)\\" = v2 && test ! -e /app/README" }\n`,
    'functions/fn/Dockerfile': `FROM ${proxy.host}/library/steady:1\nCOPY . /app/\n`,
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(templates, path, '..'), { recursive: true });
    writeFileSync(join(templates, path), text);
  }
  git(work, 'init', '--quiet', '-b', 'main', templates);
  git(templates, 'add', '.');
  git(templates, 'commit', '--quiet', '-m', 'templates');
}, 180000);

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('first run builds everything; an unchanged world makes zero writes; a moved tag or a new commit rebuilds exactly what depends on it', async () => {
  // 1. Nothing was ever built.
  const first = await nightly();
  expect(first.report.changed).toBe(true);
  expect(rebuilt(first.report)).toEqual(['app', 'base', 'fn', 'steady']);
  for (const image of Object.values(first.report.images)) expect(image.reasons.join()).toMatch(/^never built: no 127\.0\.0\.1:\d+\/acme\/\w+:test$/);
  expect(first.outputs).toMatch(/^changed<<(ghadelimiter_\w+)\ntrue\n\1\n/);

  // The function image was built from the handler repository at its commit, and says so.
  const client = createRegistryClient({ insecure: [proxy.host], dockerConfig: [] });
  const commit1 = git(sourceWork, 'rev-parse', 'HEAD');
  const fn = await readPublished(client, { registry: proxy.host, repository: 'acme/fn' }, 'test');
  expect(fn!.labels['org.opencontainers.image.revision']).toBe(commit1);
  expect(fn!.labels['org.opencontainers.image.source']).toBe(sourceUrl);
  expect(fn!.labels['org.coder.build-image.templates.revision']).toBe(git(templates, 'rev-parse', 'HEAD'));
  const base = await readPublished(client, { registry: proxy.host, repository: 'acme/base' }, 'test');
  const busyboxDigest = (await client.headManifest({ registry: proxy.host, repository: 'library/busybox' }, '1.36'))!.digest;
  expect(base!.labels['org.coder.build-image.base.0']).toBe(`${proxy.host}/library/busybox:1.36@${busyboxDigest}`);
  const app = await readPublished(client, { registry: proxy.host, repository: 'acme/app' }, 'test');
  expect(app!.labels['org.coder.build-image.source.0']).toBe(`${sourceUrl}#main@${commit1}`);
  expect(app!.labels['org.coder.build-image.parent.base']).toBe(`${proxy.host}/acme/base@${base!.digest}`);

  // 2. Nothing moved: no build, no push, no tag moved.
  const idle = await nightly();
  expect(idle.report.changed).toBe(false);
  expect(Object.values(idle.report.images).every((i) => !i.changed && i.status === undefined)).toBe(true);
  expect(idle.report.images.base!.reasons[0]).toMatch(/^unchanged since sha256:\w{12}: base 127\.0\.0\.1:\d+\/library\/busybox:1\.36 still sha256:/);
  expect(idle.writes).toEqual([]);
  expect(idle.outputs).toMatch(/^changed<<(ghadelimiter_\w+)\nfalse\n\1\n/);
  expect(idle.outputs).toContain('\n{}\n'); // images: nothing for promote

  // 3. The source repository gains a commit: app (follows it) and fn (built from it), nothing else.
  writeFileSync(join(sourceWork, 'fn/handler.sh'), 'echo v2\n');
  git(sourceWork, 'commit', '--quiet', '-am', 'v2');
  git(sourceWork, 'push', '--quiet', 'origin', 'HEAD:refs/heads/main');
  const commit2 = git(sourceWork, 'rev-parse', 'HEAD');
  // --check decides and writes nothing.
  const checked = await nightly('--check');
  expect(checked.report.changed).toBe(true);
  expect(
    Object.entries(checked.report.images)
      .filter(([, i]) => i.changed)
      .map(([n]) => n)
      .sort(),
  ).toEqual(['app', 'fn']);
  expect(rebuilt(checked.report)).toEqual([]);
  expect(checked.writes).toEqual([]);
  const afterCommit = await nightly();
  expect(rebuilt(afterCommit.report)).toEqual(['app', 'fn']);
  expect(afterCommit.report.images.app!.reasons).toEqual([`source ${sourceUrl} (main) has new commits: ${commit1.slice(0, 12)} -> ${commit2.slice(0, 12)}`]);
  expect(afterCommit.report.images.fn!.reasons).toEqual([`build context ${sourceUrl} (main) has new commits: ${commit1.slice(0, 12)} -> ${commit2.slice(0, 12)}`]);
  expect(afterCommit.report.images.base!.changed).toBe(false);
  expect(afterCommit.writes.filter((w) => /\/acme\/(base|steady)\//.test(w))).toEqual([]);

  // 4. The upstream tag moves: base and its child app, not steady nor fn.
  await pushBusyboxImage(`${proxy.host}/library/busybox:1.36`, { user: '1000' });
  const movedDigest = (await client.headManifest({ registry: proxy.host, repository: 'library/busybox' }, '1.36'))!.digest;
  expect(movedDigest).not.toBe(busyboxDigest);
  const afterMove = await nightly();
  expect(rebuilt(afterMove.report)).toEqual(['app', 'base']);
  expect(afterMove.report.images.base!.reasons).toEqual([`base ${proxy.host}/library/busybox:1.36 moved: sha256:${busyboxDigest.slice(7, 19)} -> sha256:${movedDigest.slice(7, 19)}`]);
  expect(afterMove.report.images.app!.reasons).toEqual(['parent base is rebuilt']);
  expect(afterMove.writes.filter((w) => /\/acme\/(fn|steady)\//.test(w))).toEqual([]);

  // 5. Quiet again; then --force rebuilds everything.
  const idleAgain = await nightly();
  expect(idleAgain.report.changed).toBe(false);
  expect(idleAgain.writes).toEqual([]);
  const forced = await nightly('--force', '--skip-smoke');
  expect(rebuilt(forced.report)).toEqual(['app', 'base', 'fn', 'steady']);
  // Measured: the no-op runs (builds, pushes, seconds).
  process.stderr.write(
    `nightly no-op: 0 builds, ${idle.writes.length} + ${idleAgain.writes.length} write requests, ${idle.seconds.toFixed(2)} s and ${idleAgain.seconds.toFixed(2)} s; first run ${first.seconds.toFixed(1)} s with ${first.writes.length} write requests\n`,
  );
}, 600000);
