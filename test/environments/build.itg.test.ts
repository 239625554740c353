// E1 for real: the examples' team-a environment, personalised from team-dev (busybox standing in
// for the image the pipeline pushed as acme/team-dev:ubuntu-main), built with buildah, pushed
// to the real registry; its layers and config read back with skopeo and umoci. The same inputs
// reuse the image and push nothing. `github: owner/repo` is fetched from a local git server URL.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startRegistry, type TestRegistry } from '../harness/registry.js';
import { pushBusyboxImage } from '../harness/buildah.js';
import { runCli } from '../cli/run.js';
import { prepareImage } from '../../src/environments/environment.js';
import { createRegistryClient } from '../../src/systems/registry/setup.js';

const run = promisify(execFile);
const EXAMPLES = join(process.cwd(), 'examples');

let registry: TestRegistry;
let root: string;
let repo: string;
let assets: string;
let parentDigest: string;

async function inspectRaw(ref: string): Promise<{ layers: { digest: string }[]; config: { digest: string } }> {
  const { stdout } = await run('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${ref}`]);
  return JSON.parse(stdout);
}

async function tags(repository: string): Promise<string[]> {
  const res = await fetch(`http://${registry.host}/v2/${repository}/tags/list`);
  return res.status === 200 ? (((await res.json()) as { tags: string[] }).tags ?? []).sort() : [];
}

beforeAll(async () => {
  registry = await startRegistry();
  root = mkdtempSync(join(tmpdir(), 'bi-env-build-'));
  repo = join(root, 'templates');
  cpSync(EXAMPLES, repo, { recursive: true });
  assets = join(root, 'assets');
  mkdirSync(join(assets, 'bin'), { recursive: true });
  writeFileSync(join(assets, 'motd'), 'coder platform assets\n');
  writeFileSync(join(assets, 'bin', 'agent'), '#!/bin/sh\necho agent\n', { mode: 0o755 });
  parentDigest = await pushBusyboxImage(`${registry.host}/acme/team-dev:ubuntu-main`, { user: '1000' });
}, 120000);

afterAll(async () => {
  await registry?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

test('env build personalises team-dev: assets and the personalize step are layers on the parent, its user restored; a re-run pushes nothing', async () => {
  const args = ['env', 'build', 'team-a', repo, '--registry', registry.host, '--insecure', '--assets', assets, '--format', 'json'];
  const first = await runCli(args);
  expect(first.stderr).toContain(`env: image template 'team-dev' at main is ${registry.host}/acme/team-dev@${parentDigest}`);
  expect(first.code).toBe(0);
  const built = JSON.parse(first.stdout) as { image: string; digest: string; buildId: string; reused: boolean };
  expect(built.reused).toBe(false);
  expect(built.image).toBe(`${registry.host}/acme/env-team-a:build-${built.buildId.slice(0, 20)}`);

  // Layers: the parent's exactly, then one for the assets and one for the step.
  const parent = await inspectRaw(`${registry.host}/acme/team-dev@${parentDigest}`);
  const child = await inspectRaw(`${registry.host}/acme/env-team-a@${built.digest}`);
  expect(child.layers.slice(0, parent.layers.length)).toEqual(parent.layers);
  expect(child.layers).toHaveLength(parent.layers.length + 2);

  const { stdout: inspected } = await run('skopeo', ['inspect', '--tls-verify=false', `docker://${built.image}`]);
  const info = JSON.parse(inspected) as { Digest: string; Labels: Record<string, string> };
  expect(info.Digest).toBe(built.digest);
  expect(info.Labels).toMatchObject({
    'org.coder.build-image.build-id': built.buildId,
    'org.coder.build-image.environment': 'team-a',
    'org.opencontainers.image.base.digest': parentDigest,
  });

  // The files, read back with umoci from an OCI layout copy.
  const layout = join(root, 'layout');
  const bundle = join(root, 'bundle');
  await run('skopeo', ['copy', '--src-tls-verify=false', `docker://${built.image}`, `oci:${layout}:env`]);
  await run('umoci', ['unpack', '--rootless', '--image', `${layout}:env`, bundle]);
  const rootfs = join(bundle, 'rootfs');
  expect(readFileSync(join(rootfs, 'tmp/coder/motd'), 'utf8')).toBe('coder platform assets\n');
  expect(statSync(join(rootfs, 'tmp/coder/bin/agent')).mode & 0o111).not.toBe(0);
  expect(readFileSync(join(rootfs, 'home/coder/.personalised'), 'utf8')).toBe('personalised\n');
  const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as { process: { user: { uid: number } } };
  expect(config.process.user.uid).toBe(1000);

  // The same inputs: found by its build-ID tag, nothing built or pushed.
  const before = await tags('acme/env-team-a');
  const started = Date.now();
  const second = await runCli(args);
  expect(second.code).toBe(0);
  const again = JSON.parse(second.stdout) as { digest: string; reused: boolean };
  expect(again).toMatchObject({ reused: true, digest: built.digest });
  expect(Date.now() - started).toBeLessThan(5000);
  expect(await tags('acme/env-team-a')).toEqual(before);

  // Changed assets: a new build ID.
  writeFileSync(join(assets, 'motd'), 'changed\n');
  const dry = await runCli(['env', 'build', 'team-a', repo, '--registry', registry.host, '--insecure', '--assets', assets, '--dry-run']);
  expect(dry.code).toBe(0);
  expect(dry.stdout).toContain(`# FROM ${registry.host}/acme/team-dev@${parentDigest}`);
  expect(dry.stdout).not.toContain(built.buildId);
  writeFileSync(join(assets, 'motd'), 'coder platform assets\n');

  // `up --dry-run`: the Dockerfile, then the Secret (keys only, values redacted) and the Deployment; nothing applied.
  const upDry = await runCli(['env', 'up', 'team-a', repo, '--registry', registry.host, '--insecure', '--assets', assets, '--dry-run', '--namespace', 'dev']);
  expect(upDry.code).toBe(0);
  expect(upDry.stdout).toContain(`# personalised image ${built.image} (build ID ${built.buildId})`);
  expect(upDry.stdout).toContain('kind: Secret\nmetadata:\n  name: team-a-db\n  namespace: dev');
  expect(upDry.stdout).toContain('data:\n  password: <redacted>');
  expect(upDry.stdout).toContain('kind: Deployment');
  expect(upDry.stdout).toContain(`image: ${built.image}`);
}, 180000);

test('github: owner/repo at a branch is fetched from the configured server URL and resolves to the same parent', async () => {
  // A bare repository served as <server>/acme/templates.git, its main branch holding the image templates.
  const server = join(root, 'git');
  const work = join(root, 'upstream');
  cpSync(join(EXAMPLES, '.coder', 'images'), join(work, '.coder', 'images'), { recursive: true });
  cpSync(join(EXAMPLES, 'images'), join(work, 'images'), { recursive: true });
  const git = (cwd: string, ...a: string[]) => run('git', ['-C', cwd, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...a]);
  await git(work, 'init', '-q', '-b', 'main');
  await git(work, 'add', '-A');
  await git(work, 'commit', '-qm', 'templates');
  mkdirSync(join(server, 'acme'), { recursive: true });
  await run('git', ['clone', '-q', '--bare', work, join(server, 'acme', 'templates.git')]);

  writeFileSync(
    join(repo, '.coder', 'environments', 'team-gh.yaml'),
    'name: team-gh\ntype: environment\nspec:\n  - name: env\n    primary: true\n    github: acme/templates\n    image: team-dev\n    tag: main\n    personalize: ["RUN true"]\n',
  );
  try {
    const logs: string[] = [];
    const prepared = await prepareImage({
      dir: repo,
      name: 'team-gh',
      registry: registry.host,
      registryClient: createRegistryClient({ insecure: [registry.host] }),
      githubServerUrl: `file://${server}`,
      log: (l) => logs.push(l),
    });
    expect(logs[0]).toBe(`fetching acme/templates at main from file://${server}`);
    expect(prepared.parent).toMatchObject({ repository: `${registry.host}/acme/team-dev`, tag: 'ubuntu-main', digest: parentDigest, user: '1000' });
    expect(prepared.dockerfile).toContain('RUN true\nUSER 1000\n');

    // A branch that does not exist there: one clear line.
    writeFileSync(join(repo, '.coder', 'environments', 'team-gh.yaml'), readFileSync(join(repo, '.coder', 'environments', 'team-gh.yaml'), 'utf8').replace('tag: main', 'tag: nope'));
    const cli = await runCli(['env', 'build', 'team-gh', repo, '--registry', registry.host, '--insecure', '--github-server-url', `file://${server}`]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(new RegExp(`fetching acme/templates at nope from file://${server} failed: couldn't find remote ref nope`));
    expect(existsSync(join(repo, '.git'))).toBe(false);
  } finally {
    rmSync(join(repo, '.coder', 'environments', 'team-gh.yaml'));
  }
}, 120000);
