// src/systems/kube against the simulator: preflight naming missing permissions, retries through injected
// 500/429, watches that resume after drops and relist after 410 Gone, kubeconfig loading.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { startKubeSim, type KubeSim } from '../kube-sim/index.js';
import { kubectlGet } from '../kube-sim/kubectl.js';
import { KubeClient, loadKubeConfig } from '../../src/systems/kube/client.js';

const ns = 'kube-client';
let sim: KubeSim;
let client: KubeClient;
const retries: string[] = [];

beforeAll(async () => {
  sim = await startKubeSim({ namespaces: [ns] });
  client = new KubeClient({ kubeConfig: sim.kubeConfig(), retry: { attempts: 4, baseDelayMs: 20, maxDelayMs: 200, maxRetryAfterMs: 1500 }, onRetry: (m) => retries.push(m) });
});
afterAll(async () => {
  await sim?.stop();
});

test('preflight names every missing permission in one message', async () => {
  sim.rbac.allowOnly([
    { verbs: ['get', 'list', 'watch'], resources: ['pods'] },
    { verbs: ['*'], resources: ['secrets'] },
  ]);
  try {
    const missing = await client.missingPermissions(ns, [
      { verb: 'get', resource: 'pods' },
      { verb: 'create', resource: 'pods' },
      { verb: 'create', resource: 'pods', subresource: 'exec' },
      { verb: 'delete', resource: 'secrets' },
    ]);
    expect(missing).toEqual([
      { verb: 'create', resource: 'pods' },
      { verb: 'create', resource: 'pods', subresource: 'exec' },
    ]);
    await expect(
      client.preflight(
        ns,
        [
          { verb: 'create', resource: 'pods' },
          { verb: 'create', resource: 'pods', subresource: 'exec' },
        ],
        'build',
      ),
    ).rejects.toThrow("the Kubernetes identity in use may not build in namespace 'kube-client'; it lacks:\n  - create pods\n  - create pods/exec\n");
    await expect(client.preflight(ns, [{ verb: 'list', resource: 'pods' }], 'list')).resolves.toBeUndefined();
  } finally {
    sim.rbac.allowAll();
  }
});

test('calls are retried through 500s and 429s (honouring Retry-After), then give up with the Status message', async () => {
  sim.faults.failNext(2, { code: 500 });
  sim.faults.failNext(1, { code: 429, retryAfterSeconds: 1 });
  const started = Date.now();
  const secret = await client.createSecret(ns, { metadata: { name: 'retried' }, stringData: { a: 'b' } });
  expect(secret.metadata!.name).toBe('retried');
  // what the client created is what kubectl shows
  expect(await kubectlGet(sim, ns, 'secret', 'retried')).toMatchObject({ metadata: { uid: secret.metadata!.uid, resourceVersion: secret.metadata!.resourceVersion }, data: { a: 'Yg==' }, type: 'Opaque' });
  expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  expect(retries.filter((r) => r.startsWith('creating secret kube-client/retried'))).toHaveLength(3);
  sim.faults.failNext(10, { code: 503, path: /\/secrets\/retried$/ });
  await expect(client.findSecret(ns, 'retried')).rejects.toThrow('reading secret kube-client/retried: Internal error occurred: injected fault (kube-sim) (ServiceUnavailable) (gave up after 4 attempts)');
  while (sim.faults.take('GET', '/api/v1/namespaces/kube-client/secrets/retried')) {
    /* drain */
  }
  // non-transient errors are not retried and read as the server wrote them
  await expect(client.createSecret(ns, { metadata: { name: 'Bad_Name' } })).rejects.toThrow(/creating secret kube-client\/Bad_Name: Secret "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name".*\(Invalid\)$/);
  await expect(client.findSecret(ns, 'absent')).resolves.toBeUndefined();
});

test('a pod watch resumes after dropped connections and relists after 410 Gone', async () => {
  const pod: V1Pod = { metadata: { name: 'watched' }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: '127.0.0.1:1/x:1' }] } };
  sim.kubelet.faults.unpullable.add('127.0.0.1:1/x:1');
  try {
    const created = await client.createPod(ns, pod);
    expect(await kubectlGet(sim, ns, 'pod', 'watched')).toMatchObject({ metadata: { uid: created.metadata!.uid }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: '127.0.0.1:1/x:1' }] } });
    const seen: string[] = [];
    const waiting = client.watchPod(
      ns,
      'watched',
      (p) => {
        seen.push(p.metadata!.resourceVersion!);
        return p.metadata?.annotations?.done;
      },
      { timeoutMs: 20000 },
    );
    await new Promise((r) => setTimeout(r, 600)); // pull back-off updates arrive over the watch
    const before = retries.length;
    expect(sim.faults.dropWatches()).toBe(1);
    await new Promise((r) => setTimeout(r, 200));
    sim.faults.expireResourceVersions();
    sim.faults.dropWatches();
    await new Promise((r) => setTimeout(r, 300));
    await client.core.patchNamespacedPod({ namespace: ns, name: 'watched', body: [{ op: 'add', path: '/metadata/annotations', value: { done: 'yes' } }] });
    await expect(waiting).resolves.toBe('yes');
    const notes = retries.slice(before).join('\n');
    expect(notes).toMatch(/watch of pod kube-client\/watched dropped .*resuming from resourceVersion \d+/);
    expect(notes).toContain('expired (410 Gone); relisting');
    expect(seen.length).toBeGreaterThan(2);
  } finally {
    sim.kubelet.faults.unpullable.clear();
    await client.deletePod(ns, 'watched');
  }
});

test('a watch gives up at its timeout and a deleted pod ends it', async () => {
  await client.createSecret(ns, { metadata: { name: 'unused' } });
  const pod: V1Pod = { metadata: { name: 'short' }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: '127.0.0.1:1/y:1' }] } };
  sim.kubelet.faults.unpullable.add('127.0.0.1:1/y:1');
  try {
    await client.createPod(ns, pod);
    await expect(client.watchPod(ns, 'short', () => undefined, { timeoutMs: 300 })).rejects.toThrow('timed out after 0 s waiting for pod kube-client/short');
    const watching = client.watchPod(ns, 'short', () => undefined, { timeoutMs: 10000 });
    await new Promise((r) => setTimeout(r, 100));
    await client.deletePod(ns, 'short');
    await expect(watching).rejects.toThrow('pod kube-client/short was deleted');
  } finally {
    sim.kubelet.faults.unpullable.clear();
  }
});

test('kubeconfig loading: explicit path, context selection, clear errors', () => {
  const kc = loadKubeConfig({ kubeconfigPath: sim.kubeconfigPath });
  expect(kc.getCurrentCluster()?.server).toBe(sim.url);
  expect(loadKubeConfig({ kubeconfigPath: sim.kubeconfigPath, context: 'kube-sim' }).getCurrentContext()).toBe('kube-sim');
  expect(() => loadKubeConfig({ kubeconfigPath: sim.kubeconfigPath, context: 'prod' })).toThrow("kubeconfig has no context 'prod' (known: kube-sim)");
  expect(() => loadKubeConfig({ kubeconfigPath: '/nonexistent/kubeconfig' })).toThrow('kubeconfig not found: /nonexistent/kubeconfig');
  // Nothing configured: a message, not a silent fall-back to http://localhost:8080.
  expect(() => loadKubeConfig({}, { HOME: '/nonexistent-home' })).toThrow(/no Kubernetes configuration: set KUBECONFIG/);
  const previous = process.env.KUBECONFIG;
  process.env.KUBECONFIG = sim.kubeconfigPath;
  try {
    expect(loadKubeConfig({}, { KUBECONFIG: sim.kubeconfigPath }).getCurrentCluster()?.server).toBe(sim.url);
  } finally {
    if (previous === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = previous;
  }
});

test('an unreachable API server is reported as such', async () => {
  const kc = sim.kubeConfig();
  kc.clusters[0] = { ...kc.clusters[0]!, server: 'https://127.0.0.1:1' };
  const unreachable = new KubeClient({ kubeConfig: kc, retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 10, maxRetryAfterMs: 10 } });
  await expect(unreachable.listPods(ns, '')).rejects.toThrow(/listing pods in kube-client: cannot reach the Kubernetes API server .*\(gave up after 2 attempts\)/);
});
