// The kubelet and the Deployment controller with real containers (busybox from loopback
// registries, run by buildah): restarts with CrashLoopBackOff, exec readiness probes,
// activeDeadlineSeconds, capabilities and runAsUser, imagePullSecrets against an authenticated
// registry, image resolution (kaniko executor included), rolling and Recreate updates, progress
// deadlines and minReadySeconds.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { AppsV1Api, CoreV1Api, Exec, type V1Deployment, type V1Pod, type V1Status } from '@kubernetes/client-node';
import { registryWithBusybox } from '../harness/buildah.js';
import { writeHtpasswd } from '../harness/htpasswd.js';
import { startRegistry, type TestRegistry } from '../harness/registry.js';
import { startKubeSim, type KubeSim } from './index.js';

const run = promisify(execFile);
const ns = 'workloads';
let sim: KubeSim;
let registry: TestRegistry;
let privateRegistry: TestRegistry;
let busybox: string;
let privateImage: string;
let core: CoreV1Api;
let apps: AppsV1Api;

beforeAll(async () => {
  const auth = writeHtpasswd({ puller: 'sekret' });
  [sim, { registry, busybox }, privateRegistry] = await Promise.all([startKubeSim({ namespaces: [ns] }), registryWithBusybox(), startRegistry({ extraConfig: auth.registryConfig })]);
  privateImage = `${privateRegistry.host}/team/busybox:1`;
  const copy = (to: string, creds: string[] = []): Promise<unknown> => run('skopeo', ['copy', '--src-tls-verify=false', '--dest-tls-verify=false', ...creds, `docker://${busybox}`, `docker://${to}`]);
  // One at a time into the same registry: its filesystem storage writes a manifest blob in place
  // (no rename), so a second copy putting the same manifest can make a concurrent read of it a 500.
  await copy(privateImage, ['--dest-creds', 'puller:sekret']);
  await copy(`${registry.host}/library/busybox:2`);
  await copy(`${registry.host}/osscontainertools/kaniko:v1.28.5`);
  core = sim.kubeConfig().makeApiClient(CoreV1Api);
  apps = sim.kubeConfig().makeApiClient(AppsV1Api);
}, 180000);
afterAll(async () => {
  await sim?.stop();
  await registry?.stop();
  await privateRegistry?.stop();
});

async function waitForPod(name: string, done: (p: V1Pod) => boolean, timeoutMs = 60000): Promise<V1Pod> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pod = await core.readNamespacedPod({ namespace: ns, name });
    if (done(pod)) return pod;
    if (Date.now() > deadline) throw new Error(`pod ${name} stuck: ${JSON.stringify(pod.status)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function waitForDeployment(name: string, done: (d: V1Deployment) => boolean, timeoutMs = 90000): Promise<V1Deployment> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await apps.readNamespacedDeployment({ namespace: ns, name });
    if (done(d)) return d;
    if (Date.now() > deadline) throw new Error(`deployment ${name} stuck: ${JSON.stringify(d.status)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const pod = (name: string, spec: Record<string, unknown>, container: Record<string, unknown> = {}): V1Pod => ({
  metadata: { name },
  spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: busybox, ...container }], ...spec },
});
const waiting = (p: V1Pod) => p.status?.containerStatuses?.[0]?.state?.waiting;
const terminated = (p: V1Pod) => p.status?.containerStatuses?.[0]?.state?.terminated;

test('restartPolicy Always: an exiting container is restarted with CrashLoopBackOff and a restart count; --previous logs', async () => {
  await core.createNamespacedPod({ namespace: ns, body: pod('crash', { restartPolicy: 'Always' }, { command: ['sh', '-c', 'echo boom; exit 2'] }) });
  const p = await waitForPod('crash', (x) => (x.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 && waiting(x)?.reason === 'CrashLoopBackOff');
  expect(p.status!.phase).toBe('Running');
  expect(p.status!.containerStatuses![0]!.lastState!.terminated).toMatchObject({ exitCode: 2, reason: 'Error' });
  expect(waiting(p)!.message).toMatch(/^back-off \d+(\.\d)?s restarting failed container=main pod=crash_workloads\(/);
  expect(await core.readNamespacedPodLog({ namespace: ns, name: 'crash', previous: true })).toBe('boom\n');
  await core.deleteNamespacedPod({ namespace: ns, name: 'crash', gracePeriodSeconds: 0 });
}, 90000);

test('an exec readiness probe gates Ready; activeDeadlineSeconds fails the pod with DeadlineExceeded', async () => {
  await core.createNamespacedPod({
    namespace: ns,
    body: pod('probed', { activeDeadlineSeconds: 20 }, { command: ['sleep', '60'], readinessProbe: { exec: { command: ['test', '-f', '/tmp/ready'] }, periodSeconds: 1 } }),
  });
  const running = await waitForPod('probed', (x) => !!x.status?.containerStatuses?.[0]?.state?.running);
  expect(running.status!.containerStatuses![0]!.ready).toBe(false);
  await new Promise<V1Status>((resolve, reject) => {
    new Exec(sim.kubeConfig()).exec(ns, 'probed', 'main', ['touch', '/tmp/ready'], null, null, null, false, resolve).catch(reject);
  });
  const ready = await waitForPod('probed', (x) => x.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True');
  expect(ready.status!.containerStatuses![0]!.ready).toBe(true);
  // Lowering the deadline on a running pod is allowed (raising it is not) and the kubelet applies it.
  const raised = await core.patchNamespacedPod({ namespace: ns, name: 'probed', body: [{ op: 'replace', path: '/spec/activeDeadlineSeconds', value: 30 }] }).catch((e) => e);
  expect(raised.code).toBe(422);
  await core.patchNamespacedPod({ namespace: ns, name: 'probed', body: [{ op: 'replace', path: '/spec/activeDeadlineSeconds', value: 1 }] });
  const failed = await waitForPod('probed', (x) => x.status?.phase === 'Failed');
  expect(failed.status).toMatchObject({ reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' });
}, 90000);

test('the container securityContext is applied: dropped capabilities, runAsUser', async () => {
  const chown = 'touch /tmp/f && chown 1 /tmp/f && echo chowned';
  await core.createNamespacedPod({ namespace: ns, body: pod('caps-default', {}, { command: ['sh', '-c', chown] }) });
  await core.createNamespacedPod({ namespace: ns, body: pod('caps-dropped', {}, { command: ['sh', '-c', chown], securityContext: { capabilities: { drop: ['ALL'] } } }) });
  await core.createNamespacedPod({ namespace: ns, body: pod('as-user', { securityContext: { runAsUser: 1000 } }, { command: ['id', '-u'] }) });
  const ok = await waitForPod('caps-default', (x) => !!terminated(x));
  const dropped = await waitForPod('caps-dropped', (x) => !!terminated(x));
  const user = await waitForPod('as-user', (x) => !!terminated(x));
  expect(terminated(ok)!.exitCode).toBe(0);
  expect(terminated(dropped)!.exitCode).not.toBe(0);
  expect(await core.readNamespacedPodLog({ namespace: ns, name: 'caps-dropped' })).toContain('Operation not permitted');
  const userLog = await core.readNamespacedPodLog({ namespace: ns, name: 'as-user' });
  expect({ exitCode: terminated(user)!.exitCode, log: userLog }).toEqual({ exitCode: 0, log: '1000\n' });
}, 90000);

test("pods run from the node's own image store: the test run's buildah storage never holds their containers", async () => {
  await core.createNamespacedPod({ namespace: ns, body: pod('own-store', {}, { command: ['sleep', '30'] }) });
  const running = await waitForPod('own-store', (x) => !!x.status?.containerStatuses?.[0]?.state?.running);
  const uid = running.metadata!.uid!.slice(0, 8);
  // Another test file's `buildah rmi --all --force` in the shared storage once removed a running pod's root.
  const { stdout } = await run('buildah', ['--storage-driver', 'vfs', 'containers', '--format', '{{.ContainerName}}']);
  expect(stdout.split('\n').filter((n) => n.includes(uid))).toEqual([]);
  await core.deleteNamespacedPod({ namespace: ns, name: 'own-store', gracePeriodSeconds: 0 });
}, 90000);

test('imagePullSecrets: without them an authenticated registry refuses the pull (ErrImagePull); with them the pod runs', async () => {
  await core.createNamespacedPod({ namespace: ns, body: pod('no-creds', {}, { image: privateImage, command: ['true'] }) });
  const refused = await waitForPod('no-creds', (x) => waiting(x)?.reason === 'ErrImagePull' || waiting(x)?.reason === 'ImagePullBackOff');
  expect(waiting(refused)!.message).toContain(`failed to pull and unpack image "${privateImage}"`);
  expect(waiting(refused)!.message).toContain('authorization failed');
  const auth = Buffer.from('puller:sekret').toString('base64');
  await core.createNamespacedSecret({
    namespace: ns,
    body: { metadata: { name: 'pull' }, type: 'kubernetes.io/dockerconfigjson', stringData: { '.dockerconfigjson': JSON.stringify({ auths: { [privateRegistry.host]: { auth } } }) } },
  });
  await core.createNamespacedPod({ namespace: ns, body: pod('with-creds', { imagePullSecrets: [{ name: 'pull' }] }, { image: privateImage, command: ['echo', 'pulled'] }) });
  const ran = await waitForPod('with-creds', (x) => !!terminated(x));
  expect(terminated(ran)!.exitCode).toBe(0);
}, 90000);

test('the kaniko executor image is resolved: a missing tag is ErrImagePull; without SETFCAP the executor fails', async () => {
  const executor = (tag: string, caps: string[]): V1Pod =>
    pod(
      `kaniko-${tag.replace(/\W/g, '')}-${caps.length}`,
      {},
      {
        image: `${registry.host}/osscontainertools/kaniko:${tag}`,
        command: ['/kaniko/executor', '--no-push', '--context=dir:///workspace'],
        securityContext: { capabilities: { drop: ['ALL'], add: caps } },
      },
    );
  await core.createNamespacedPod({ namespace: ns, body: executor('v0.0.0-missing', []) });
  const missing = await waitForPod('kaniko-v000missing-0', (x) => waiting(x)?.reason === 'ImagePullBackOff');
  expect(waiting(missing)!.message).toBe(
    `Back-off pulling image "${registry.host}/osscontainertools/kaniko:v0.0.0-missing": rpc error: code = NotFound desc = failed to pull and unpack image "${registry.host}/osscontainertools/kaniko:v0.0.0-missing": failed to resolve reference "${registry.host}/osscontainertools/kaniko:v0.0.0-missing": ${registry.host}/osscontainertools/kaniko:v0.0.0-missing: not found`,
  );
  await core.createNamespacedPod({ namespace: ns, body: executor('v1.28.5', ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'SETGID', 'SETUID', 'KILL']) });
  const failed = await waitForPod('kaniko-v1285-7', (x) => !!terminated(x));
  expect(terminated(failed)!.exitCode).toBe(1);
  expect(await core.readNamespacedPodLog({ namespace: ns, name: 'kaniko-v1285-7' })).toContain('failed to write "security.capability" attribute: operation not permitted (the container lacks CAP_SETFCAP)');
}, 90000);

test('Deployments: RollingUpdate replaces pods through a new ReplicaSet; Recreate; ProgressDeadlineExceeded; minReadySeconds', async () => {
  const body = (name: string, image: string, extra: Record<string, unknown> = {}): V1Deployment => ({
    metadata: { name },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image, command: ['sleep', '3600'] }] } },
      ...extra,
    },
  });
  const complete = (d: V1Deployment) => d.status?.observedGeneration === d.metadata!.generation && d.status?.updatedReplicas === 2 && d.status?.availableReplicas === 2 && d.status?.replicas === 2;
  await apps.createNamespacedDeployment({ namespace: ns, body: body('roll', busybox) });
  await waitForDeployment('roll', complete);
  const first = (await apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: 'app=roll' })).items;
  expect(first).toHaveLength(1);
  await apps.patchNamespacedDeployment({ namespace: ns, name: 'roll', body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: `${registry.host}/library/busybox:2` }] });
  const rolled = await waitForDeployment('roll', (d) => complete(d) && d.metadata!.generation === 2);
  expect(rolled.status!.conditions!.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });
  const sets = (await apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: 'app=roll' })).items;
  expect(sets.map((r) => [r.metadata!.annotations!['deployment.kubernetes.io/revision'], r.spec!.replicas]).sort()).toEqual([
    ['1', 0],
    ['2', 2],
  ]);
  const pods = (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=roll' })).items.filter((p) => !p.metadata!.deletionTimestamp);
  expect(pods.map((p) => p.spec!.containers[0]!.image)).toEqual([`${registry.host}/library/busybox:2`, `${registry.host}/library/busybox:2`]);

  await apps.createNamespacedDeployment({ namespace: ns, body: body('recreate', busybox, { strategy: { type: 'Recreate' }, minReadySeconds: 2 }) });
  const started = Date.now();
  await waitForDeployment('recreate', complete);
  // Available minReadySeconds after Ready, as the condition's lastTransitionTime says; like a
  // real apiserver's it has whole seconds, so up to one second of the wait may already be gone.
  expect(Date.now() - started).toBeGreaterThanOrEqual(1000);

  await apps.createNamespacedDeployment({ namespace: ns, body: body('stuck', `${registry.host}/library/nothing:1`, { progressDeadlineSeconds: 2 }) });
  const stuck = await waitForDeployment('stuck', (d) => d.status?.conditions?.some((c) => c.reason === 'ProgressDeadlineExceeded') ?? false, 30000);
  expect(stuck.status!.conditions!.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'False', message: expect.stringMatching(/^ReplicaSet "stuck-\w+" has timed out progressing\.$/) });
  expect(stuck.status!.conditions!.find((c) => c.type === 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable' });
  for (const name of ['roll', 'recreate', 'stuck']) await apps.deleteNamespacedDeployment({ namespace: ns, name });
}, 180000);

test('an environment-shaped Deployment: app + sidecar, Secret env, ConfigMap volume, a PVC that outlives its pods', async () => {
  await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'db' }, stringData: { password: 'pw-123' } } });
  await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'app-config' }, data: { 'app.conf': 'mode=dev\n' } } });
  const claim = await core.createNamespacedPersistentVolumeClaim({ namespace: ns, body: { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } } });
  expect(claim.spec!.storageClassName).toBe('standard');
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name: 'env' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'env' } },
        template: {
          metadata: { labels: { app: 'env' } },
          spec: {
            volumes: [
              { name: 'data', persistentVolumeClaim: { claimName: 'data' } },
              { name: 'config', configMap: { name: 'app-config' } },
            ],
            containers: [
              {
                name: 'app',
                image: busybox,
                command: ['sh', '-c', 'cat /etc/app/app.conf; echo "pw=$DB_PASSWORD pod=$POD_NAME"; exec sleep 3600'],
                env: [
                  { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
                  { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                ],
                volumeMounts: [{ name: 'config', mountPath: '/etc/app' }],
              },
              {
                name: 'db',
                image: busybox,
                command: ['sh', '-c', 'echo $$ >> /var/lib/db/starts; exec sleep 3600'],
                volumeMounts: [{ name: 'data', mountPath: '/var/lib/db' }],
                readinessProbe: { exec: { command: ['test', '-s', '/var/lib/db/starts'] }, periodSeconds: 1 },
              },
            ],
          },
        },
      },
    },
  });
  const available = (d: V1Deployment) => d.status?.availableReplicas === 1 && d.status?.updatedReplicas === 1 && d.status?.replicas === 1;
  await waitForDeployment('env', available);
  const first = (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=env' })).items[0]!;
  expect(await core.readNamespacedPodLog({ namespace: ns, name: first.metadata!.name!, container: 'app' })).toBe(`mode=dev\npw=pw-123 pod=${first.metadata!.name}\n`);
  expect((await core.readNamespacedPersistentVolumeClaim({ namespace: ns, name: 'data' })).status!.phase).toBe('Bound');
  // The pod goes; the ReplicaSet makes another, which sees what the first wrote on the claim.
  await core.deleteNamespacedPod({ namespace: ns, name: first.metadata!.name! });
  await waitForDeployment('env', (d) => available(d));
  const deadline = Date.now() + 60000;
  let second: V1Pod | undefined;
  while (!second && Date.now() < deadline) {
    second = (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=env' })).items.find((p) => p.metadata!.name !== first.metadata!.name && p.status?.containerStatuses?.every((s) => s.ready));
    if (!second) await new Promise((r) => setTimeout(r, 200));
  }
  const out = await new Promise<{ stdout: string; stderr: string; status: string }>((resolve, reject) => {
    const text = { stdout: '', stderr: '' };
    const sink = (key: 'stdout' | 'stderr') =>
      new Writable({
        write: (chunk, _enc, cb) => {
          text[key] += chunk.toString();
          cb();
        },
      });
    new Exec(sim.kubeConfig()).exec(ns, second!.metadata!.name!, 'db', ['wc', '-l', '/var/lib/db/starts'], sink('stdout'), sink('stderr'), null, false, (status) => resolve({ ...text, status: status.status ?? '' })).catch(reject);
  });
  expect({ ...out, stdout: out.stdout.trim().split(' ')[0] }).toEqual({ stdout: '2', stderr: '', status: 'Success' });
  await apps.deleteNamespacedDeployment({ namespace: ns, name: 'env' });
}, 180000);
