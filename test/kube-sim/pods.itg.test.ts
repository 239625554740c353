// Pods on the simulator's kubelet: real containers (buildah from + run) from a busybox image in a
// real loopback registry, exec over the websocket channel protocol, log follow, image pull and
// OOM faults.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { CoreV1Api, Exec, Log, type V1Pod, type V1Status } from '@kubernetes/client-node';
import { PassThrough, Readable } from 'node:stream';
import { startRegistry, type TestRegistry } from '../harness/registry.js';
import { pushBusyboxImage } from '../harness/buildah.js';
import { startKubeSim, type KubeSim } from './index.js';

let sim: KubeSim;
let registry: TestRegistry;
let core: CoreV1Api;
let busybox: string;
const ns = 'pods-test';

beforeAll(async () => {
  [sim, registry] = await Promise.all([startKubeSim({ namespaces: [ns] }), startRegistry()]);
  busybox = `${registry.host}/base/busybox:sim`;
  await pushBusyboxImage(busybox);
  core = sim.kubeConfig().makeApiClient(CoreV1Api);
}, 120000);
afterAll(async () => {
  await sim?.stop();
  await registry?.stop();
});

async function waitForPod(name: string, done: (p: V1Pod) => boolean, timeoutMs = 60000): Promise<V1Pod> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pod = await core.readNamespacedPod({ namespace: ns, name });
    if (done(pod)) return pod;
    if (Date.now() > deadline) throw new Error(`pod ${name} stuck: ${JSON.stringify(pod.status)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const finished = (p: V1Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

test('a shell pod runs in the image and reports its exit code and logs', async () => {
  await core.createNamespacedPod({
    namespace: ns,
    body: { metadata: { name: 'shell' }, spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: busybox, command: ['sh', '-c', 'echo hello from $(cat /etc/passwd | head -1 | cut -d: -f1); exit 3'] }] } },
  });
  const pod = await waitForPod('shell', finished);
  expect(pod.status!.phase).toBe('Failed');
  expect(pod.status!.containerStatuses![0]!.state!.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
  const log = await core.readNamespacedPodLog({ namespace: ns, name: 'shell', container: 'main' });
  expect(log).toBe('hello from root\n');
}, 60000);

test('an init container waits for a tarball sent over exec stdin, then the main container sees it', async () => {
  await core.createNamespacedPod({
    namespace: ns,
    body: {
      metadata: { name: 'ctx' },
      spec: {
        restartPolicy: 'Never',
        volumes: [{ name: 'ws', emptyDir: {} }],
        initContainers: [{ name: 'wait', image: busybox, command: ['sh', '-c', 'until [ -f /tmp/ready ]; do sleep 0.1; done'], volumeMounts: [{ name: 'ws', mountPath: '/workspace' }] }],
        containers: [{ name: 'main', image: busybox, command: ['cat', '/workspace/hello.txt'], volumeMounts: [{ name: 'ws', mountPath: '/workspace' }] }],
      },
    },
  });
  await waitForPod('ctx', (p) => !!p.status?.initContainerStatuses?.[0]?.state?.running);
  const exec = new Exec(sim.kubeConfig());
  const tarball = await tarOf('hello.txt', 'hi from the runner\n');
  const stderr = new PassThrough();
  const status = await new Promise<V1Status>((resolve, reject) => {
    exec.exec(ns, 'ctx', 'wait', ['tar', '-xf', '-', '-C', '/workspace'], null, stderr, Readable.from([tarball]), false, resolve).catch(reject);
  });
  expect(status.status).toBe('Success');
  const failed = await new Promise<V1Status>((resolve, reject) => {
    exec.exec(ns, 'ctx', 'wait', ['sh', '-c', 'exit 4'], null, null, null, false, resolve).catch(reject);
  });
  expect(failed).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '4' }] } });
  await new Promise<V1Status>((resolve, reject) => {
    exec.exec(ns, 'ctx', 'wait', ['touch', '/tmp/ready'], null, null, null, false, resolve).catch(reject);
  });
  const pod = await waitForPod('ctx', finished);
  expect(pod.status!.phase).toBe('Succeeded');
  expect(await core.readNamespacedPodLog({ namespace: ns, name: 'ctx', container: 'main' })).toBe('hi from the runner\n');
}, 60000);

test('log follow streams until the container exits', async () => {
  await core.createNamespacedPod({
    namespace: ns,
    body: { metadata: { name: 'follow' }, spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: busybox, command: ['sh', '-c', 'for i in 1 2 3; do echo line $i; sleep 0.2; done'] }] } },
  });
  await waitForPod('follow', (p) => !!p.status?.containerStatuses?.[0]?.state?.running || finished(p));
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  const ended = new Promise((r) => out.on('end', r));
  await new Log(sim.kubeConfig()).log(ns, 'follow', 'main', out, { follow: true });
  await ended;
  expect(text).toBe('line 1\nline 2\nline 3\n');
}, 60000);

test('an unpullable image waits in ErrImagePull then ImagePullBackOff; a low memory limit is OOMKilled', async () => {
  sim.kubelet.faults.unpullable.add(`${registry.host}/missing/`);
  sim.kubelet.faults.oomMemoryBelowBytes = 128 * 2 ** 20;
  try {
    await core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { name: 'nopull' }, spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: `${registry.host}/missing/img:1` }] } },
    });
    const stuck = await waitForPod('nopull', (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff');
    expect(stuck.status!.phase).toBe('Pending');
    await core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { name: 'oom' }, spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: busybox, command: ['sleep', '30'], resources: { limits: { memory: '64Mi' } } }] } },
    });
    const oom = await waitForPod('oom', finished);
    expect(oom.status!.containerStatuses![0]!.state!.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    // a pod that really does not exist in the registry also fails to pull
    await core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { name: 'absent' }, spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: `${registry.host}/nothing/here:1`, command: ['true'] }] } },
    });
    const absent = await waitForPod('absent', (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff');
    expect(absent.status!.containerStatuses![0]!.state!.waiting!.message).toContain('nothing/here');
  } finally {
    sim.kubelet.faults.unpullable.clear();
    sim.kubelet.faults.oomMemoryBelowBytes = undefined;
    for (const name of ['nopull', 'oom', 'absent']) await core.deleteNamespacedPod({ namespace: ns, name }).catch(() => undefined);
  }
}, 60000);

/** A one-file ustar archive, written by hand so the test depends on nothing but the format. */
async function tarOf(name: string, content: string): Promise<Buffer> {
  const { pack } = await import('tar-stream');
  const p = pack();
  p.entry({ name, mode: 0o644 }, content);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
