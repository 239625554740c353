// E1 with kaniko: the same personalised Dockerfile built in a kaniko pod on the Kubernetes
// simulator (context streamed in over exec, the build emulated with buildah), pushed to the
// real registry under its build-ID tag; a second build with the same inputs is reused.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startRegistry, type TestRegistry } from '../harness/registry.js';
import { pushBusyboxImage } from '../harness/buildah.js';
import { startKubeSim, type KubeSim } from '../kube-sim/index.js';
import { KanikoBuilder } from '../../src/builders/kaniko/builder.js';
import { KubeClient } from '../../src/systems/kube/client.js';
import { buildImage } from '../../src/environments/environment.js';
import { createRegistryClient } from '../../src/systems/registry/setup.js';

const run = promisify(execFile);
const NS = 'builds';
let registry: TestRegistry;
let sim: KubeSim;
let repo: string;
let busybox: string;
let rootBusybox: string;

beforeAll(async () => {
  [sim, registry] = await Promise.all([startKubeSim({ namespaces: [NS] }), startRegistry()]);
  repo = mkdtempSync(join(tmpdir(), 'bi-env-kaniko-'));
  for (const dir of ['.coder/environments', '.coder/images', 'images/dev', 'assets']) mkdirSync(join(repo, dir), { recursive: true });
  writeFileSync(join(repo, 'images', 'dev', 'Dockerfile'), 'FROM scratch\n');
  writeFileSync(join(repo, '.coder', 'images', 'dev.yaml'), 'name: dev\ntype: image\nspec:\n  context: ./images/dev\n  image: ghcr.io/acme/dev\n');
  writeFileSync(join(repo, '.coder', 'environments', 'web.yaml'), 'name: web\ntype: environment\nspec:\n  - name: env\n    image: dev\n    personalize: ["RUN echo kaniko > /tmp/personalised"]\n');
  writeFileSync(join(repo, 'assets', 'motd'), 'assets via kaniko\n');
  const digest = await pushBusyboxImage(`${registry.host}/acme/dev:latest`, { user: '1000' });
  busybox = `${registry.host}/acme/dev@${digest}`;
  rootBusybox = `${registry.host}/library/busybox@${await pushBusyboxImage(`${registry.host}/library/busybox:1`)}`;
  // The executor image only has to resolve in the registry: the simulator's kubelet emulates kaniko.
  await run('skopeo', ['copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${busybox}`, `docker://${registry.host}/osscontainertools/kaniko:v1.28.5`]);
}, 180000);

afterAll(async () => {
  await sim?.stop();
  await registry?.stop();
  if (repo) rmSync(repo, { recursive: true, force: true });
});

test("the personalised image builds in a kaniko pod on the parent's layers, and is reused after", async () => {
  const builder = new KanikoBuilder({
    namespace: NS,
    client: new KubeClient({ kubeConfig: sim.kubeConfig() }),
    executorImage: `${registry.host}/osscontainertools/kaniko:v1.28.5`,
    contextImage: rootBusybox,
    runId: 'env-kaniko',
  });
  const options = {
    dir: repo,
    name: 'web',
    registry: registry.host,
    registryClient: createRegistryClient({ insecure: [registry.host] }),
    insecureRegistries: [registry.host],
    assets: { folder: join(repo, 'assets') },
  };
  try {
    const built = await buildImage(options, builder);
    expect(built.reused).toBe(false);
    expect(built.reference).toBe(`${registry.host}/acme/env-web:build-${built.buildId.slice(0, 20)}`);
    const { stdout } = await run('skopeo', ['inspect', '--tls-verify=false', `docker://${built.reference}`]);
    const info = JSON.parse(stdout) as { Digest: string; Layers: string[]; Labels: Record<string, string> };
    expect(info.Digest).toBe(built.digest);
    expect(info.Labels['org.coder.build-image.build-id']).toBe(built.buildId);
    const { stdout: parent } = await run('skopeo', ['inspect', '--tls-verify=false', `docker://${busybox}`]);
    const parentLayers = (JSON.parse(parent) as { Layers: string[] }).Layers;
    expect(info.Layers.slice(0, parentLayers.length)).toEqual(parentLayers);
    // Real kaniko commits a layer per instruction; the simulator's emulation (buildah bud) commits one.
    expect(info.Layers.length).toBeGreaterThan(parentLayers.length);

    const again = await buildImage(options, builder);
    expect(again).toMatchObject({ reused: true, digest: built.digest });
    expect(await new KubeClient({ kubeConfig: sim.kubeConfig() }).listPods(NS, 'app.kubernetes.io/managed-by=build-image')).toEqual([]);
  } finally {
    await builder.cleanup();
  }
}, 240000);
