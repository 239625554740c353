// The kaniko builder end to end: the real client-node against the Kubernetes simulator, whose
// kubelet runs the build pod (init container fed over exec, kaniko emulated with buildah) and
// pushes to the real loopback registry. Faults: OOMKilled, unpullable executor, API 500s and
// dropped watches, eviction, cancellation: each a clear error and nothing left behind.
import { afterAll, afterEach, beforeAll, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry, type TestRegistry } from '../harness/registry.js';
import { pushBusyboxImage } from '../harness/buildah.js';
import { startKubeSim, type KubeSim } from '../kube-sim/index.js';
import { kubectlGet } from '../kube-sim/kubectl.js';
import { KubeClient } from '../../src/systems/kube/client.js';
import { managedLabels, runSelector } from '../../src/systems/kube/labels.js';
import { KanikoBuilder, type KanikoBuilderOptions } from '../../src/builders/kaniko/builder.js';
import type { BuildRequest } from '../../src/builders/types.js';

const ns = 'builds';
let sim: KubeSim;
let registry: TestRegistry;
let base: string;
let contextDir: string;
let client: KubeClient;
const retry = { attempts: 5, baseDelayMs: 50, maxDelayMs: 400, maxRetryAfterMs: 1500 };

beforeAll(async () => {
  [sim, registry] = await Promise.all([startKubeSim({ namespaces: [ns] }), startRegistry()]);
  const digest = await pushBusyboxImage(`${registry.host}/base/busybox:1`);
  base = `${registry.host}/base/busybox@${digest}`;
  // The simulator's kubelet resolves the executor image like any other: it must be in the registry.
  execFileSync('skopeo', ['copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${base}`, `docker://${registry.host}/osscontainertools/kaniko:v1.28.5`], { stdio: 'ignore' });
  contextDir = mkdtempSync(join(tmpdir(), 'bi-kaniko-ctx-'));
  writeFileSync(join(contextDir, 'hello.txt'), 'hello from the context\n');
  client = new KubeClient({ kubeConfig: sim.kubeConfig(), retry });
}, 120000);

afterEach(() => {
  sim.kubelet.onContainerStarted = undefined;
  sim.kubelet.faults.unpullable.clear();
  sim.kubelet.faults.oomMemoryBelowBytes = undefined;
});

afterAll(async () => {
  await sim?.stop();
  await registry?.stop();
  if (contextDir) rmSync(contextDir, { recursive: true, force: true });
});

function builder(extra: Partial<KanikoBuilderOptions> = {}): KanikoBuilder {
  return new KanikoBuilder({
    namespace: ns,
    client,
    executorImage: `${registry.host}/osscontainertools/kaniko:v1.28.5`,
    contextImage: base,
    runId: `t-${Math.random().toString(36).slice(2, 8)}`,
    ...extra,
  });
}

function request(name: string, lines: string[], extra: Partial<BuildRequest> = {}): BuildRequest {
  return {
    name,
    contextDir,
    dockerfile: `FROM ${base}\nARG GREETING=none\nCOPY hello.txt /hello.txt\nRUN echo "built with $GREETING" > /built.txt && cat /hello.txt\n`,
    destinations: [`${registry.host}/acme/${name}:test`, `${registry.host}/acme/${name}:abc123`],
    buildArgs: { GREETING: 'hi' },
    labels: { 'org.opencontainers.image.revision': 'abc123' },
    insecureRegistries: [registry.host],
    log: (line) => lines.push(line),
    ...extra,
  };
}

function inspect(ref: string): { Digest: string; Labels: Record<string, string> } {
  return JSON.parse(execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${ref}`]).toString());
}

async function leftovers(b: KanikoBuilder): Promise<string[]> {
  const selector = runSelector(b.runId);
  const [pods, secrets] = await Promise.all([client.listPods(ns, selector), client.listSecrets(ns, selector)]);
  return [...pods.map((p) => `pod/${p.metadata!.name}`), ...secrets.map((s) => `secret/${s.metadata!.name}`)];
}

test('builds through a kaniko pod: the digest from the termination message is what the registry serves', async () => {
  const b = builder({ credentials: { named: [{ name: 'local', registry: registry.host, username: 'ci', password: 's3cret' }] } });
  const lines: string[] = [];
  const seenDuringBuild: string[] = [];
  let shown: Promise<[any, any]> | undefined;
  sim.kubelet.onContainerStarted = (_pod, container) => {
    if (container !== 'kaniko') return;
    void leftovers(b).then((l) => seenDuringBuild.push(...l));
    // What the product created, as kubectl shows it, next to what the product's client reads.
    shown ??= Promise.all([kubectlGet(sim, ns, 'pods,secrets', '-l', runSelector(b.runId)), client.listPods(ns, runSelector(b.runId))]);
  };
  const result = await b.build(request('app', lines, { credentials: 'local' }));
  const [byKubectl, byClient] = await shown!;
  const kubectlPod = byKubectl.items.find((o: { kind: string }) => o.kind === 'Pod');
  expect(kubectlPod.metadata.uid).toBe(byClient[0]!.metadata!.uid);
  expect(kubectlPod.spec.containers.find((c: { name: string }) => c.name === 'kaniko').securityContext).toEqual({
    privileged: false,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'], add: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'SETGID', 'SETUID', 'KILL', 'SETFCAP'] },
  });
  expect(byKubectl.items.find((o: { kind: string }) => o.kind === 'Secret')).toMatchObject({ type: 'kubernetes.io/dockerconfigjson', metadata: { name: expect.stringMatching(/^build-creds-app-/) } });
  expect(result.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  const test = inspect(`${registry.host}/acme/app:test`);
  expect(test.Digest).toBe(result.digest);
  expect(inspect(`${registry.host}/acme/app:abc123`).Digest).toBe(result.digest);
  expect(test.Labels['org.opencontainers.image.revision']).toBe('abc123');
  // the RUN step ran, with the build arg, on the context that travelled over exec
  expect(lines.join('\n')).toContain('hello from the context');
  const layerCheck = execFileSync('skopeo', ['inspect', '--tls-verify=false', '--config', `docker://${registry.host}/acme/app:test`]).toString();
  expect(JSON.parse(layerCheck).history.some((h: { created_by?: string }) => h.created_by?.includes('built with'))).toBe(true);
  expect(seenDuringBuild.some((l) => l.startsWith('secret/build-creds-app-'))).toBe(true);
  expect(await leftovers(b)).toEqual([]);
}, 120000);

test('a kaniko pod that is OOMKilled fails clearly and leaves nothing behind', async () => {
  sim.kubelet.faults.oomMemoryBelowBytes = 60 * 2 ** 20; // below the context container's 64Mi
  const b = builder();
  const err = await b.build(request('oom', [], { resources: { memory: '48Mi', cpu: '500m' } })).catch((e: Error) => e);
  expect((err as Error).message).toMatch(/kaniko build of oom failed: the kaniko executor ran out of memory \(OOMKilled, limit 48Mi\)/);
  expect(await leftovers(b)).toEqual([]);
}, 120000);

test('an executor image that cannot be pulled fails with the pull error', async () => {
  const executor = `${registry.host}/osscontainertools/kaniko:does-not-exist`;
  sim.kubelet.faults.unpullable.add(executor);
  const b = builder({ executorImage: executor });
  const err = await b.build(request('nopull', [])).catch((e: Error) => e);
  expect((err as Error).message).toContain(`the kaniko executor image "${executor}" cannot be pulled (ErrImagePull)`);
  expect(await leftovers(b)).toEqual([]);
}, 120000);

test('API 500s, 429s, dropped watches and expired resourceVersions mid-build are ridden out', async () => {
  const b = builder();
  const before = sim.requests.length;
  sim.faults.failNext(2, { code: 429, retryAfterSeconds: 1, method: 'POST' });
  sim.kubelet.onContainerStarted = (_pod, container) => {
    if (container !== 'kaniko') return;
    sim.faults.failNext(3, { code: 500 });
    sim.faults.dropWatches();
    setTimeout(() => {
      sim.faults.expireResourceVersions();
      sim.faults.dropWatches();
    }, 300);
  };
  const result = await b.build(request('flaky', []));
  expect(inspect(`${registry.host}/acme/flaky:test`).Digest).toBe(result.digest);
  const statuses = sim.requests.slice(before).map((r) => r.status);
  expect(statuses).toContain(429);
  expect(statuses).toContain(500);
  expect(await leftovers(b)).toEqual([]);
}, 120000);

test('an API server that keeps failing gives up with the server message', async () => {
  const b = builder();
  sim.faults.failNext(50, { code: 500, method: 'POST', path: /\/pods$/ });
  try {
    const err = await b.build(request('down', [])).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/kaniko build of down failed: creating pod builds\/build-down-\w+: Internal error occurred: injected fault \(kube-sim\) \(InternalError\) \(gave up after 5 attempts\)/);
  } finally {
    sim.faults.failNext(0);
    // drain the remaining injected faults
    while (sim.faults.take('POST', '/api/v1/namespaces/builds/pods')) {
      /* drain */
    }
  }
  expect(await leftovers(b)).toEqual([]);
}, 120000);

test('cancelling in the middle of a build removes the pod and says so', async () => {
  const b = builder({ credentials: { named: [{ name: 'local', registry: registry.host, username: 'ci', password: 'pw' }] } });
  const controller = new AbortController();
  sim.kubelet.onContainerStarted = (_pod, container) => {
    if (container === 'kaniko') setTimeout(() => controller.abort(), 200);
  };
  const err = await b.build(request('cancel', [], { signal: controller.signal, credentials: 'local' })).catch((e: Error) => e);
  expect((err as Error).message).toBe('kaniko build of cancel was cancelled');
  expect(await leftovers(b)).toEqual([]);
}, 120000);

test('an evicted build pod and a failing RUN step are explained, with the log tail', async () => {
  const b = builder();
  sim.kubelet.onContainerStarted = (pod, container) => {
    if (container === 'kaniko' && pod.name.startsWith('build-evict')) void sim.kubelet.evict(pod.namespace, pod.name);
  };
  const evicted = await b.build(request('evict', [])).catch((e: Error) => e);
  expect((evicted as Error).message).toMatch(/kaniko build of evict failed: pod build-evict-\w+ was evicted by the node: The node was low on resource: memory/);
  const failing = await b.build(request('broken', [], { dockerfile: `FROM ${base}\nRUN echo about to fail && exit 7\n` })).catch((e: Error) => e);
  expect((failing as Error).message).toMatch(/kaniko build of broken failed: the kaniko executor exited with code 1\nlast log lines:\n[\s\S]*about to fail/);
  expect(await leftovers(b)).toEqual([]);
}, 120000);

test('a timeout stops the build', async () => {
  const b = builder();
  const err = await b.build(request('slow', [], { timeoutMs: 300 })).catch((e: Error) => e);
  expect((err as Error).message).toBe('kaniko build of slow timed out after 0 s');
  expect(await leftovers(b)).toEqual([]);
}, 60000);

test('smoke tests run as pods in the built image, each with its exit code and output', async () => {
  const b = builder();
  const { digest } = await b.build(request('smoked', []));
  const lines: string[] = [];
  const results = await b.smoke({
    name: 'smoked',
    image: `${registry.host}/acme/smoked@${digest}`,
    commands: [
      { name: 'built', run: 'cat /built.txt' },
      { name: 'fails', run: 'echo nope >&2; exit 3' },
      { name: 'slow', run: 'sleep 25', timeout: 2 },
    ],
    insecureRegistries: [registry.host],
    log: (l) => lines.push(l),
  });
  expect(results.map((r) => [r.name, r.passed, r.exitCode, r.output.trim()])).toEqual([
    ['built', true, 0, 'built with hi'],
    ['fails', false, 3, 'nope'],
    ['slow', false, 124, 'timed out after 2 s'],
  ]);
  expect(results[2]!.durationMs).toBeLessThan(10000);
  expect(lines).toContain('[built] built with hi');
  expect(await leftovers(b)).toEqual([]);
}, 120000);

test('cleanup removes everything with the run label, and RBAC gaps are named before building', async () => {
  const b = builder();
  const labels = managedLabels(b.runId);
  await client.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'left-secret', labels } } });
  await client.core.createNamespacedPod({ namespace: ns, body: { metadata: { name: 'left-pod', labels }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: base, command: ['sleep', '60'] }] } } });
  await client.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'other-run', labels: managedLabels('someone-else') } } });
  await b.cleanup();
  await b.cleanup();
  expect(await leftovers(b)).toEqual([]);
  expect((await client.listSecrets(ns, runSelector('someone-else'))).length).toBe(1);

  sim.rbac.deny('create', 'pods/exec');
  sim.rbac.deny('delete', 'secrets');
  try {
    const err = await builder()
      .build(request('rbac', []))
      .catch((e: Error) => e);
    expect((err as Error).message).toBe(
      "the Kubernetes identity in use may not run kaniko builds in namespace 'builds'; it lacks:\n  - create pods/exec\n  - delete secrets\nGrant them with a Role and RoleBinding (see docs/kubernetes.md).",
    );
  } finally {
    sim.rbac.allowAll();
  }
}, 120000);
