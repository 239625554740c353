// End to end through the kaniko path: the pipeline on examples/ with the KanikoBuilder against
// the Kubernetes simulator (real client-node over HTTP and websockets; its kubelet performs
// each kaniko pod's build with buildah and pushes to the real loopback registry). Built in
// order, smoke-tested in pods, children on their parents' exact layers, nothing left behind.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startRegistry, type TestRegistry } from '../harness/registry.js';
import { pushBusyboxImage } from '../harness/buildah.js';
import { startKubeSim, type KubeSim } from '../kube-sim/index.js';
import { KubeClient } from '../../src/systems/kube/client.js';
import { runSelector } from '../../src/systems/kube/labels.js';
import { KanikoBuilder } from '../../src/builders/kaniko/builder.js';
import { runPipeline } from '../../src/pipeline/pipeline.js';

const run = promisify(execFile);
const ns = 'builds';
const SHA = '3333333333333333333333333333333333333333';

let sim: KubeSim;
let registry: TestRegistry;
let busybox: string;
let client: KubeClient;

beforeAll(async () => {
  [sim, registry] = await Promise.all([startKubeSim({ namespaces: [ns] }), startRegistry()]);
  busybox = `${registry.host}/library/busybox:1.36`;
  await pushBusyboxImage(busybox);
  // The simulator's kubelet resolves the executor image like any other: it must be in the registry.
  await run('skopeo', ['copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${busybox}`, `docker://${registry.host}/osscontainertools/kaniko:v1.28.5`]);
  client = new KubeClient({ kubeConfig: sim.kubeConfig(), retry: { attempts: 5, baseDelayMs: 50, maxDelayMs: 400, maxRetryAfterMs: 1500 } });
}, 120000);

afterAll(async () => {
  await sim?.stop();
  await registry?.stop();
});

async function layers(reference: string): Promise<string[]> {
  const { stdout } = await run('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${reference}`]);
  return (JSON.parse(stdout) as { layers: { digest: string }[] }).layers.map((l) => l.digest);
}

test('the examples build in order in kaniko pods, pass their smoke tests in pods, and leave nothing behind', async () => {
  const builder = new KanikoBuilder({
    namespace: ns,
    client,
    executorImage: `${registry.host}/osscontainertools/kaniko:v1.28.5`,
    contextImage: busybox,
    runId: `pipeline-${process.pid}`,
  });
  const lines: string[] = [];
  let result;
  try {
    result = await runPipeline({
      dir: join(process.cwd(), 'examples'),
      selection: { kind: 'all' },
      builder,
      origin: { commit: SHA, branch: 'main', created: '2026-11-20T12:00:00Z' },
      registry: `${registry.host}/k8s`,
      insecureRegistries: [registry.host],
      maxParallel: 2,
      buildArgs: { BASE_IMAGE: busybox },
      log: (name, line) => lines.push(`${name}: ${line}`),
    });
  } finally {
    await builder.cleanup();
  }
  expect(Object.values(result.images).map((r) => [r.name, r.status, r.smoke, r.reason])).toEqual([
    ['base', 'built', 'passed', undefined],
    ['golden', 'built', 'passed', undefined],
    ['team-dev', 'built', 'passed', undefined],
  ]);
  const { base, golden } = result.images;
  const teamDev = result.images['team-dev']!;
  expect(teamDev.reference).toBe(`${registry.host}/k8s/acme/team-dev@${teamDev.digest}`);
  // The digest each pod reported is what the registry serves under every tag.
  const { stdout } = await run('skopeo', ['inspect', '--tls-verify=false', `docker://${registry.host}/k8s/acme/golden:test`]);
  expect(JSON.parse(stdout).Digest).toBe(golden!.digest);
  // B3: children on their parents' exact layers.
  const [baseLayers, goldenLayers, teamLayers] = await Promise.all([layers(base!.reference!), layers(golden!.reference!), layers(teamDev.reference!)]);
  expect(goldenLayers.slice(0, baseLayers.length)).toEqual(baseLayers);
  expect(teamLayers.slice(0, goldenLayers.length)).toEqual(goldenLayers);
  expect(lines).toContain(`golden: FROM ghcr.io/acme/base:latest pinned to ${base!.reference}`);
  // Smoke output came back from the pods.
  expect(teamDev.smokeResults!.map((r) => [r.name, r.passed, r.exitCode])).toEqual([
    ['user', true, 0],
    ['layers', true, 0],
  ]);
  // No pod or secret of this run is left.
  const selector = runSelector(builder.runId);
  expect([...(await client.listPods(ns, selector)), ...(await client.listSecrets(ns, selector))]).toEqual([]);
}, 300000);
