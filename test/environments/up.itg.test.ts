// E2 end to end: the examples' team-a environment (its postgres sidecar played by busybox, each
// container given a long-running command) personalised from team-dev, deployed on the Kubernetes
// simulator with a Secret from the sops file `db`, rolled out, updated to another branch, left
// alone when nothing changed, and taken down with nothing left behind. Real kubectl reads the
// same objects and agrees with the rollout verdict.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startRegistry, type TestRegistry } from '../harness/registry.js';
import { pushBusyboxImage } from '../harness/buildah.js';
import { startKubeSim, type KubeSim } from '../kube-sim/index.js';
import { runCli } from '../cli/run.js';
import { ageEntries, emitSopsFile, encryptTree, newDataKey, newMetadata } from '../../src/secrets/sops.js';
import { str, type Value } from '../../src/secrets/tree.js';
import { generateIdentity } from '../../src/systems/age/age.js';

const run = promisify(execFile);
const NS = 'dev';

let registry: TestRegistry;
let sim: KubeSim;
let root: string;
let repo: string;
let keyFile: string;
let mainDigest: string;
let featureDigest: string;

async function kubectl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('kubectl', ['--kubeconfig', sim.kubeconfigPath, '-n', NS, ...args], { timeout: 60000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Exit code 0, or a failure that shows what the command said. */
function expectOk(result: { code: number; stdout: string; stderr: string }): void {
  if (result.code !== 0) throw new Error(`exit code ${result.code}\n${result.stdout}\n${result.stderr}`);
}

function env(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCli(['env', ...args, '--registry', registry.host, '--insecure', '--namespace', NS, '--kubeconfig', sim.kubeconfigPath, '--identity', keyFile]);
}

/** A sops file as `build-image secret create` writes it: key names in clear, values encrypted to the team. */
function writeSecret(name: string, values: Record<string, string>, recipient: string): void {
  const dataKey = newDataKey();
  const plain = new Map<string, Value>(Object.entries(values).map(([k, v]) => [k, str(v)]));
  const { tree, mac, lastmodified } = encryptTree({ plain, dataKey });
  mkdirSync(join(repo, '.coder', 'secrets'), { recursive: true });
  writeFileSync(join(repo, '.coder', 'secrets', `${name}.yaml`), emitSopsFile(tree, { raw: newMetadata(), age: ageEntries(dataKey, [recipient]), lastmodified, mac }));
}

/** The examples' team-a, with a stand-in for postgres and commands that keep both containers running. */
function teamA(tag: string): string {
  const original = readFileSync(join(process.cwd(), 'examples', '.coder', 'environments', 'team-a.yaml'), 'utf8');
  const edited = original
    .replace('tag: main', `tag: ${tag}\n    command: [sh, -c, 'echo "env ready as $(id -u)"; exec sleep 3600']`)
    .replace('image: postgres:16', `image: ${registry.host}/library/busybox:1.36\n    command: [sh, -c, 'echo "database system is ready to accept connections ($POSTGRES_DB)"; exec sleep 3600']`);
  expect(edited).not.toBe(original);
  expect(edited.match(/exec sleep 3600/g)).toHaveLength(2);
  return edited;
}

beforeAll(async () => {
  registry = await startRegistry();
  sim = await startKubeSim({ namespaces: [NS] });
  root = mkdtempSync(join(tmpdir(), 'bi-env-up-'));
  repo = join(root, 'templates');
  cpSync(join(process.cwd(), 'examples'), repo, { recursive: true });
  rmSync(join(repo, '.coder', 'secrets'), { recursive: true, force: true });
  const team = generateIdentity();
  keyFile = join(root, 'age.key');
  writeFileSync(keyFile, `${team.identity}\n`, { mode: 0o600 });
  writeSecret('db', { password: 'hunter2-not-real' }, team.recipient);
  // team-dev as the pipeline pushed it for two branches; busybox for the sidecar.
  mainDigest = await pushBusyboxImage(`${registry.host}/acme/team-dev:ubuntu-main`, { user: '1000' });
  featureDigest = await pushBusyboxImage(`${registry.host}/acme/team-dev:ubuntu-feature-x`, { user: '1000' });
  await run('skopeo', ['copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${registry.host}/acme/team-dev:ubuntu-main`, `docker://${registry.host}/library/busybox:1.36`]);
}, 180000);

afterAll(async () => {
  await sim?.stop();
  await registry?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

test('team-a: up, kubectl agrees, up to date, update to another branch, status, down leaves nothing', async () => {
  expect(featureDigest).not.toBe(mainDigest);
  writeFileSync(join(repo, '.coder', 'environments', 'team-a.yaml'), teamA('main'));

  // Fresh: the personalised image is built, then deployed.
  let started = Date.now();
  const first = await env('up', 'team-a', repo);
  const freshMs = Date.now() - started;
  expect(first.stderr).not.toContain('hunter2');
  expect(first.stdout).not.toContain('hunter2');
  expectOk(first);
  expect(first.stdout).toMatch(/^team-a: ready: deployment "team-a" successfully rolled out\n/);
  expect(first.stdout).toMatch(/team-a-\S+\s+env\s+running\s+yes\s+0\s+-\s+127\.0\.0\.1:\d+\/acme\/env-team-a@sha256:/);
  expect(first.stdout).toMatch(/team-a-\S+\s+postgres\s+running\s+yes\s+0/);

  // kubectl sees the same objects and agrees with the verdict.
  const rollout = await kubectl('rollout', 'status', 'deployment/team-a', '--timeout=30s');
  expect(rollout).toMatchObject({ code: 0 });
  expect(rollout.stdout).toContain('deployment "team-a" successfully rolled out');
  const deployment = JSON.parse((await kubectl('get', 'deployment', 'team-a', '-o', 'json')).stdout);
  expect(deployment.spec.template.spec.containers.map((c: { name: string }) => c.name)).toEqual(['env', 'postgres']);
  expect(deployment.spec.template.spec.containers[0].env).toContainEqual({ name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'team-a-db', key: 'password' } } });
  const secret = JSON.parse((await kubectl('get', 'secret', 'team-a-db', '-o', 'json')).stdout);
  expect(Buffer.from(secret.data.password, 'base64').toString()).toBe('hunter2-not-real');
  expect(secret.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Deployment', name: 'team-a', uid: deployment.metadata.uid })]);
  const pods = (await kubectl('get', 'pods', '-l', 'build-image.coder.com/environment=team-a', '-o', 'name')).stdout.trim().split('\n');
  expect(pods).toHaveLength(1);
  const logs = await kubectl('logs', pods[0]!, '-c', 'postgres');
  expect(logs.stderr).toBe('');
  expect(logs).toMatchObject({ code: 0, stdout: expect.stringContaining('database system is ready to accept connections (coder)') });
  const envLog = await kubectl('logs', pods[0]!, '-c', 'env');
  expect(envLog).toMatchObject({ code: 0, stdout: expect.stringContaining('env ready as 1000') });
  const personalised = await kubectl('exec', pods[0]!, '-c', 'env', '--', 'cat', '/home/coder/.personalised');
  expect(personalised.stdout).toBe('personalised\n');

  // Cached: the same inputs reuse the image and change nothing.
  started = Date.now();
  const again = await env('up', 'team-a', repo);
  const cachedMs = Date.now() - started;
  expectOk(again);
  expect(again.stdout).toMatch(/^team-a: ready: team-a is up to date\n/);
  expect(again.stderr).toContain('already exists');
  expect(JSON.parse((await kubectl('get', 'deployment', 'team-a', '-o', 'json')).stdout).metadata.generation).toBe(deployment.metadata.generation);
  expect(cachedMs).toBeLessThan(freshMs);

  // Update to another branch: a new parent, a new build ID, a rollout to new pods.
  writeFileSync(join(repo, '.coder', 'environments', 'team-a.yaml'), teamA('feature/x'));
  const update = await env('up', 'team-a', repo);
  expectOk(update);
  expect(update.stderr).toContain(`is ${registry.host}/acme/team-dev@${featureDigest}`);
  expect(update.stderr).toContain('deployment dev/team-a updated');
  const updated = JSON.parse((await kubectl('get', 'deployment', 'team-a', '-o', 'json')).stdout);
  expect(updated.metadata.generation).toBeGreaterThan(deployment.metadata.generation);
  expect(updated.metadata.annotations['build-image.coder.com/build-id']).not.toBe(deployment.metadata.annotations['build-image.coder.com/build-id']);
  expect((await kubectl('rollout', 'status', 'deployment/team-a', '--timeout=30s')).code).toBe(0);

  const status = await env('status', 'team-a', repo);
  expectOk(status);
  expect(status.stdout).toContain('team-a: ready: deployment "team-a" successfully rolled out');

  // Down: the Deployment, its pods and Secret go; nothing labelled team-a is left.
  const down = await env('down', 'team-a', repo);
  expectOk(down);
  expect(down.stdout).toContain('team-a: deployment dev/team-a deleted');
  for (const kind of ['deployments', 'replicasets', 'pods', 'secrets', 'pvc']) {
    const left = await kubectl('get', kind, '-l', 'build-image.coder.com/environment=team-a', '-o', 'name');
    expect([kind, left.stdout.trim()]).toEqual([kind, '']);
  }
  const after = await env('status', 'team-a', repo);
  expect(after.code).toBe(1);
  expect(after.stdout).toContain('team-a: absent: team-a is not deployed in namespace dev');

  // Up again from nothing with the personalised image already pushed: the deploy alone.
  started = Date.now();
  const redeploy = await env('up', 'team-a', repo);
  const cachedImageMs = Date.now() - started;
  expectOk(redeploy);
  expect(redeploy.stderr).toContain('already exists');
  expect(redeploy.stderr).toContain('deployment dev/team-a created');
  expectOk(await env('down', 'team-a', repo));
  process.stdout.write(`env up to ready: fresh personalised image ${freshMs} ms; image cached, new Deployment ${cachedImageMs} ms; nothing changed ("up to date") ${cachedMs} ms\n`);
}, 300000);
