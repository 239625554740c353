// E2's fast failures on the simulator: a crash-looping container, an image that does not exist and
// a Secret without the key a container reads each end `env up` long before its deadline, with the
// reason, a table per container and the last log lines.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry, type TestRegistry } from '../harness/registry.js';
import { pushBusyboxImage } from '../harness/buildah.js';
import { startKubeSim, type KubeSim } from '../kube-sim/index.js';
import { runCli } from '../cli/run.js';
import { KubeClient } from '../../src/systems/kube/client.js';
import { Workloads } from '../../src/systems/kube/workloads.js';
import { BuildahBuilder } from '../../src/builders/buildah/builder.js';
import { buildImage, deploy, takeDown } from '../../src/environments/environment.js';
import { createRegistryClient } from '../../src/systems/registry/setup.js';

const NS = 'dev';
const TIMEOUT_S = 120;
let registry: TestRegistry;
let sim: KubeSim;
let repo: string;

function write(name: string, containers: string): void {
  writeFileSync(join(repo, '.coder', 'environments', `${name}.yaml`), `name: ${name}\ntype: environment\nspec:\n${containers}`);
}

function up(name: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCli([
    'env',
    'up',
    name,
    repo,
    '--registry',
    registry.host,
    '--insecure',
    '--namespace',
    NS,
    '--kubeconfig',
    sim.kubeconfigPath,
    '--image-repository',
    `${registry.host}/acme/env-failures`,
    '--timeout',
    String(TIMEOUT_S),
    // The simulator marks a container running before buildah has started it; on a loaded machine that
    // takes seconds, so the crash must come within a wider window to fail the rollout rather than pass it.
    '--min-ready',
    '15',
  ]);
}

beforeAll(async () => {
  registry = await startRegistry();
  sim = await startKubeSim({ namespaces: [NS] });
  repo = mkdtempSync(join(tmpdir(), 'bi-env-failures-'));
  mkdirSync(join(repo, '.coder', 'environments'), { recursive: true });
  mkdirSync(join(repo, '.coder', 'images'), { recursive: true });
  mkdirSync(join(repo, 'images', 'dev'), { recursive: true });
  writeFileSync(join(repo, 'images', 'dev', 'Dockerfile'), 'FROM scratch\n');
  writeFileSync(join(repo, '.coder', 'images', 'dev.yaml'), 'name: dev\ntype: image\nspec:\n  context: ./images/dev\n  image: ghcr.io/acme/dev\n');
  await pushBusyboxImage(`${registry.host}/acme/dev:latest`, { user: '1000' });
}, 180000);

afterAll(async () => {
  await sim?.stop();
  await registry?.stop();
  if (repo) rmSync(repo, { recursive: true, force: true });
});

test('a crash-looping container fails fast: the reason, its restarts and last exit, its last log lines', async () => {
  write('crash', `  - name: env\n    image: dev\n    command: [sh, -c, 'echo starting; echo "fatal: cannot open /etc/app.conf" >&2; exit 3']\n`);
  const started = Date.now();
  const result = await up('crash');
  expect(result.code).toBe(1);
  expect(Date.now() - started).toBeLessThan((TIMEOUT_S / 2) * 1000);
  expect(result.stdout).toMatch(/^crash: failed: CrashLoopBackOff: container 'env' keeps crashing: restarted \d+ times \(last exit code 3, Error\)\n/);
  expect(result.stdout).toMatch(/crash-\S+\s+env\s+waiting: CrashLoopBackOff\s+no\s+\d+\s+3 \(Error\)/);
  expect(result.stdout).toMatch(/--- last log lines of crash-\S+\/env ---\n(starting\n)?fatal: cannot open \/etc\/app.conf/);
  await takeDown('crash', { namespace: NS, workloads: new Workloads(new KubeClient({ kubeConfig: sim.kubeConfig() })) });
}, 240000);

test("an image that does not exist fails fast with the registry's answer", async () => {
  write('noimage', `  - name: env\n    primary: true\n    image: dev\n    command: [sleep, '3600']\n  - name: db\n    image: ${registry.host}/library/nope:1\n    command: [sleep, '3600']\n`);
  const started = Date.now();
  const result = await up('noimage');
  expect(result.code).toBe(1);
  expect(Date.now() - started).toBeLessThan((TIMEOUT_S / 2) * 1000);
  expect(result.stdout).toMatch(new RegExp(`^noimage: failed: (ErrImagePull|ImagePullBackOff): container 'db': image ${registry.host.replace(/\./g, '\\.')}/library/nope:1 not found: .*not found\\n`));
  expect(result.stdout).toMatch(/noimage-\S+\s+db\s+waiting: (ErrImagePull|ImagePullBackOff)\s+no/);
  await takeDown('noimage', { namespace: NS, workloads: new Workloads(new KubeClient({ kubeConfig: sim.kubeConfig() })) });
}, 240000);

test('a Secret without the key a container reads fails fast with CreateContainerConfigError', async () => {
  writeFileSync(join(repo, '.coder', 'environments', 'nokey.yaml'), 'name: nokey\ntype: environment\nspec:\n  - name: env\n    image: dev\n    command: [sleep, "3600"]\n');
  const options = {
    dir: repo,
    name: 'nokey',
    registry: registry.host,
    registryClient: createRegistryClient({ insecure: [registry.host] }),
    insecureRegistries: [registry.host],
    imageRepository: `${registry.host}/acme/env-failures`,
  };
  const builder = new BuildahBuilder();
  let image;
  try {
    image = await buildImage(options, builder);
  } finally {
    await builder.cleanup();
  }
  // The template reads db/password; the decrypted file (as a stale or edited secret would) lacks it.
  image.environment.containers[0]!.env = [{ name: 'PGPASSWORD', value: { fromSecret: { name: 'db', key: 'password' } } }];
  const workloads = new Workloads(new KubeClient({ kubeConfig: sim.kubeConfig() }));
  const started = Date.now();
  const result = await deploy(image, { namespace: NS, workloads, secrets: { values: async () => ({ user: 'coder' }) }, timeoutMs: TIMEOUT_S * 1000 });
  expect(Date.now() - started).toBeLessThan((TIMEOUT_S / 2) * 1000);
  expect(result.status).toMatchObject({
    state: 'failed',
    reason: 'CreateContainerConfigError',
    message: `container 'env': couldn't find key password in Secret ${NS}/nokey-db`,
  });
  expect(result.status.rows).toEqual([expect.objectContaining({ container: 'env', state: 'waiting: CreateContainerConfigError' })]);
  const down = await takeDown('nokey', { namespace: NS, workloads });
  expect(down).toEqual({ deployment: true, secrets: expect.any(Array), claims: [], keptClaims: [] });
  expect(await workloads.listSecrets(NS, 'build-image.coder.com/environment=nokey')).toEqual([]);
}, 240000);
