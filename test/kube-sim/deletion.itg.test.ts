// Deletion as a real cluster does it (generic registry store Delete, the garbage collector and
// the namespace controller): asynchronous, with finalizers, preconditions, propagation policies,
// Terminating pods until the kubelet confirms, Terminating namespaces, protected namespaces.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { CoreV1Api, Watch, type KubeConfig } from '@kubernetes/client-node';
import { startKubeSim, type KubeSim } from './index.js';

let sim: KubeSim;
let kc: KubeConfig;
let core: CoreV1Api;
const ns = 'deletion';

beforeAll(async () => {
  sim = await startKubeSim({ namespaces: [ns] });
  kc = sim.kubeConfig();
  core = kc.makeApiClient(CoreV1Api);
});
afterAll(async () => {
  await sim?.stop();
});

function statusOf(err: unknown): { code: number; body: Record<string, any> } {
  const e = err as { code: number; body: string };
  return { code: e.code, body: JSON.parse(e.body) };
}

async function waitUntil(probe: () => boolean | Promise<boolean>, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const gone = async (read: () => Promise<unknown>): Promise<boolean> =>
  (await read().then(
    () => 200,
    (e: { code: number }) => e.code,
  )) === 404;

test('a finalizer keeps a deleted object (deletionTimestamp set) until it is removed; no new finalizers meanwhile', async () => {
  await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'held', finalizers: ['example.com/hold'] } } });
  await core.deleteNamespacedConfigMap({ namespace: ns, name: 'held' });
  // registry.Store.Delete: pending finalization leaves the object in place, marked
  const held = await core.readNamespacedConfigMap({ namespace: ns, name: 'held' });
  expect(held.metadata!.deletionTimestamp).toBeDefined();
  const added = await core.patchNamespacedConfigMap({ namespace: ns, name: 'held', body: [{ op: 'add', path: '/metadata/finalizers/-', value: 'example.com/more' }] }).catch((e) => e);
  expect(statusOf(added).code).toBe(422);
  expect(statusOf(added).body.message).toContain('no new finalizers can be added if the object is being deleted');
  await core.patchNamespacedConfigMap({ namespace: ns, name: 'held', body: [{ op: 'remove', path: '/metadata/finalizers' }] });
  expect(await gone(() => core.readNamespacedConfigMap({ namespace: ns, name: 'held' }))).toBe(true);
});

test('preconditions: a stale uid or resourceVersion is 409 Conflict', async () => {
  const cm = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'pre' } } });
  const wrongUid = await core.deleteNamespacedConfigMap({ namespace: ns, name: 'pre', body: { preconditions: { uid: 'not-the-uid' } } }).catch((e) => e);
  expect(statusOf(wrongUid)).toMatchObject({ code: 409, body: { reason: 'Conflict' } });
  expect(statusOf(wrongUid).body.message).toBe(`Operation cannot be fulfilled on configmaps "pre": Precondition failed: UID in precondition: not-the-uid, UID in object meta: ${cm.metadata!.uid}`);
  const staleRv = await core.deleteNamespacedConfigMap({ namespace: ns, name: 'pre', body: { preconditions: { resourceVersion: '1' } } }).catch((e) => e);
  expect(statusOf(staleRv).code).toBe(409);
  await core.deleteNamespacedConfigMap({ namespace: ns, name: 'pre', body: { preconditions: { uid: cm.metadata!.uid } } });
});

test('propagationPolicy: Background deletes dependents later, Orphan keeps them without the owner reference, Foreground waits for them', async () => {
  const owner = async (name: string) => {
    const o = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name } } });
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name, uid: o.metadata!.uid!, blockOwnerDeletion: true };
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: `${name}-dep`, ownerReferences: [ref] } } });
  };
  await owner('bg');
  await core.deleteNamespacedConfigMap({ namespace: ns, name: 'bg', propagationPolicy: 'Background' });
  expect(await gone(() => core.readNamespacedConfigMap({ namespace: ns, name: 'bg' }))).toBe(true);
  await waitUntil(() => gone(() => core.readNamespacedSecret({ namespace: ns, name: 'bg-dep' })));

  await owner('orphan');
  // Orphan becomes the `orphan` finalizer; the garbage collector unlinks the dependent, then drops it.
  await core.deleteNamespacedConfigMap({ namespace: ns, name: 'orphan', propagationPolicy: 'Orphan' });
  await waitUntil(() => gone(() => core.readNamespacedConfigMap({ namespace: ns, name: 'orphan' })));
  const orphaned = await core.readNamespacedSecret({ namespace: ns, name: 'orphan-dep' });
  expect(orphaned.metadata!.ownerReferences).toBeUndefined();

  await owner('fg');
  // The dependent holds its own finalizer, so the foreground owner must wait for it.
  await core.patchNamespacedSecret({ namespace: ns, name: 'fg-dep', body: [{ op: 'add', path: '/metadata/finalizers', value: ['example.com/slow'] }] });
  await core.deleteNamespacedConfigMap({ namespace: ns, name: 'fg', propagationPolicy: 'Foreground' });
  await waitUntil(async () => !!(await core.readNamespacedSecret({ namespace: ns, name: 'fg-dep' })).metadata!.deletionTimestamp);
  const waiting = await core.readNamespacedConfigMap({ namespace: ns, name: 'fg' });
  expect(waiting.metadata!.finalizers).toEqual(['foregroundDeletion']);
  await core.patchNamespacedSecret({ namespace: ns, name: 'fg-dep', body: [{ op: 'remove', path: '/metadata/finalizers' }] });
  await waitUntil(() => gone(() => core.readNamespacedConfigMap({ namespace: ns, name: 'fg' })));
});

test('a running pod is Terminating until the kubelet has stopped it; then DELETED', async () => {
  sim.kubelet.faults.unpullable.add('127.0.0.1:1/');
  try {
    await core.createNamespacedPod({ namespace: ns, body: { metadata: { name: 'graceful' }, spec: { containers: [{ name: 'c', image: '127.0.0.1:1/x:1' }] } } });
    await waitUntil(async () => !!(await core.readNamespacedPod({ namespace: ns, name: 'graceful' })).spec!.nodeName);
    const events: string[] = [];
    const list = await core.listNamespacedPod({ namespace: ns, fieldSelector: 'metadata.name=graceful' });
    const ctrl = await new Watch(kc).watch(
      `/api/v1/namespaces/${ns}/pods`,
      { fieldSelector: 'metadata.name=graceful', resourceVersion: list.metadata!.resourceVersion },
      (type, obj) => events.push(`${type} ${obj.metadata.deletionTimestamp ? 'terminating' : 'live'}`),
      () => undefined,
    );
    const marked = await core.deleteNamespacedPod({ namespace: ns, name: 'graceful' });
    expect(marked.metadata!.deletionTimestamp).toBeDefined();
    expect(marked.metadata!.deletionGracePeriodSeconds).toBe(30);
    await waitUntil(() => events.includes('DELETED terminating'));
    expect(events.indexOf('MODIFIED terminating')).toBeLessThan(events.indexOf('DELETED terminating'));
    ctrl.abort();
  } finally {
    sim.kubelet.faults.unpullable.clear();
  }
});

test('a deleted namespace is Terminating: no new content, its content is deleted, then it goes; default is protected', async () => {
  await core.createNamespace({ body: { metadata: { name: 'doomed' } } });
  await core.createNamespacedSecret({ namespace: 'doomed', body: { metadata: { name: 'x', finalizers: ['example.com/hold'] } } });
  await core.deleteNamespace({ name: 'doomed' });
  expect((await core.readNamespace({ name: 'doomed' })).status!.phase).toBe('Terminating');
  const refused = await core.createNamespacedSecret({ namespace: 'doomed', body: { metadata: { name: 'y' } } }).catch((e) => e);
  expect(statusOf(refused)).toMatchObject({ code: 403, body: { reason: 'Forbidden', message: 'secrets "y" is forbidden: unable to create new content in namespace doomed because it is being terminated' } });
  await waitUntil(async () => !!(await core.readNamespacedSecret({ namespace: 'doomed', name: 'x' })).metadata!.deletionTimestamp);
  const ns1 = await core.readNamespace({ name: 'doomed' });
  expect(ns1.status!.conditions!.find((c) => c.type === 'NamespaceContentRemaining')).toMatchObject({ status: 'True', reason: 'SomeResourcesRemain' });
  await core.patchNamespacedSecret({ namespace: 'doomed', name: 'x', body: [{ op: 'remove', path: '/metadata/finalizers' }] });
  await waitUntil(() => gone(() => core.readNamespace({ name: 'doomed' })));
  for (const name of ['default', 'kube-system']) {
    const err = await core.deleteNamespace({ name }).catch((e) => e);
    expect(statusOf(err)).toMatchObject({ code: 403, body: { reason: 'Forbidden', message: `namespaces "${name}" is forbidden: this namespace may not be deleted` } });
  }
});

test('dryRun=All changes nothing; dryRun=Bogus is refused', async () => {
  await core.createNamespacedConfigMap({ namespace: ns, dryRun: 'All', body: { metadata: { name: 'dry' } } });
  expect(await gone(() => core.readNamespacedConfigMap({ namespace: ns, name: 'dry' }))).toBe(true);
  const bogus = await core.createNamespacedConfigMap({ namespace: ns, dryRun: 'Bogus', body: { metadata: { name: 'dry' } } }).catch((e) => e);
  expect(statusOf(bogus).code).toBe(422);
  expect(await gone(() => core.readNamespacedConfigMap({ namespace: ns, name: 'dry' }))).toBe(true);
  await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'kept' } } });
  await core.deleteNamespacedConfigMap({ namespace: ns, name: 'kept', dryRun: 'All' });
  await expect(core.readNamespacedConfigMap({ namespace: ns, name: 'kept' })).resolves.toBeDefined();
});
