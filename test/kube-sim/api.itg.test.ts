// The simulator's API semantics, exercised through the real @kubernetes/client-node.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { AppsV1Api, AuthorizationV1Api, CoreV1Api, Watch, type KubeConfig } from '@kubernetes/client-node';
import { request } from 'node:https';
import { startKubeSim, type KubeSim } from './index.js';

let sim: KubeSim;
let kc: KubeConfig;
let core: CoreV1Api;

beforeAll(async () => {
  sim = await startKubeSim({ namespaces: ['api-test'] });
  kc = sim.kubeConfig();
  core = kc.makeApiClient(CoreV1Api);
});
afterAll(async () => {
  await sim?.stop();
});

const ns = 'api-test';
const pod = (name: string, extra: Record<string, unknown> = {}) => ({
  metadata: { name, labels: { app: 'demo', tier: name } },
  spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: '127.0.0.1:1/none:1', command: ['true'] }] },
  ...extra,
});

function statusOf(err: unknown): { code: number; body: Record<string, any> } {
  const e = err as { code: number; body: string };
  return { code: e.code, body: JSON.parse(e.body) };
}

test('secrets round-trip with monotonic resourceVersions; 404 and 409 are Status objects', async () => {
  const a = await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 's1' }, stringData: { k: 'v' } } });
  const b = await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 's2' }, data: { k: 'dg==' } } });
  expect(Number(b.metadata!.resourceVersion)).toBeGreaterThan(Number(a.metadata!.resourceVersion));
  expect(a.data).toEqual({ k: 'dg==' });
  const dup = await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 's1' } } }).catch((e) => e);
  expect(statusOf(dup)).toMatchObject({ code: 409, body: { kind: 'Status', reason: 'AlreadyExists', message: 'secrets "s1" already exists' } });
  const missing = await core.readNamespacedSecret({ namespace: ns, name: 'nope' }).catch((e) => e);
  expect(statusOf(missing)).toMatchObject({ code: 404, body: { reason: 'NotFound', message: 'secrets "nope" not found' } });
  const stale = await core.replaceNamespacedSecret({ namespace: ns, name: 's1', body: { ...a, data: { k: 'eA==' } } });
  const conflict = await core.replaceNamespacedSecret({ namespace: ns, name: 's1', body: { ...a, data: { k: 'eQ==' } } }).catch((e) => e);
  expect(stale.data).toEqual({ k: 'eA==' });
  expect(statusOf(conflict)).toMatchObject({ code: 409, body: { reason: 'Conflict' } });
  const noNs = await core.createNamespacedSecret({ namespace: 'absent', body: { metadata: { name: 'x' } } }).catch((e) => e);
  expect(statusOf(noNs)).toMatchObject({ code: 404, body: { message: 'namespaces "absent" not found' } });
});

// Corrected: a malformed quantity fails in decode, before validation; a real apiserver answers
// 400 BadRequest (resource.ParseQuantity via transformDecodeError in handlers/create.go), not 422.
test('an invalid quantity is a 400 decode error; a missing field is 422 Invalid naming the fields', async () => {
  const bad = pod('bad-quantity');
  (bad.spec.containers[0] as Record<string, unknown>).resources = { limits: { memory: '4 GB' } };
  const err = await core.createNamespacedPod({ namespace: ns, body: bad }).catch((e) => e);
  const { code, body } = statusOf(err);
  expect(code).toBe(400);
  expect(body.reason).toBe('BadRequest');
  expect(body.message).toBe(`Pod in version "v1" cannot be handled as a Pod: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
  const noName = await core.createNamespacedPod({ namespace: ns, body: { metadata: { name: 'no-name' }, spec: { containers: [{ image: 'x' }] } } as never }).catch((e) => e);
  expect(statusOf(noName).code).toBe(422);
  expect(statusOf(noName).body.details.causes).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'spec.containers[0].name', message: 'Required value' })]));
  const badName = await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'Not_Valid' } } }).catch((e) => e);
  expect(statusOf(badName).code).toBe(422);
});

/** A raw request with the simulator's token and CA, for what client-node hides (headers, odd bodies). */
function raw(method: string, path: string, body: string, contentType = 'application/json'): Promise<{ code: number; headers: Record<string, unknown>; body: Record<string, any> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${sim.url}${path}`, { method, ca: sim.caPem, headers: { Authorization: `Bearer ${sim.token}`, 'Content-Type': contentType } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString())).on('end', () => resolve({ code: res.statusCode!, headers: res.headers, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('bodies that once crashed the server get the answers a real one gives, never 500', async () => {
  const noSpec = await raw('POST', `/api/v1/namespaces/${ns}/pods`, JSON.stringify({ metadata: { name: 'nospec' } }));
  expect(noSpec.code).toBe(422);
  expect(noSpec.body.details.causes).toEqual(expect.arrayContaining([{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers' }]));
  const secretAsPod = await raw('POST', `/api/v1/namespaces/${ns}/pods`, JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } }));
  expect(secretAsPod).toMatchObject({ code: 400, body: { reason: 'BadRequest', message: 'Secret in version "v1" cannot be handled as a Pod: converting (v1.Secret) to (core.Pod): unknown conversion' } });
  const notJson = await raw('POST', `/api/v1/namespaces/${ns}/secrets`, '{"metadata":');
  expect(notJson.code).toBe(400);
  const array = await raw('POST', `/api/v1/namespaces/${ns}/secrets`, '[]');
  expect(array.code).toBe(400);
  // fieldValidation: Warn (the default) answers 201 with a Warning header and drops the field
  const warned = await raw('POST', `/api/v1/namespaces/${ns}/secrets`, JSON.stringify({ metadata: { name: 'warned' }, colour: 'red' }));
  expect(warned.code).toBe(201);
  expect(warned.headers.warning).toBe('299 - "unknown field \\"colour\\""');
  expect(warned.body.colour).toBeUndefined();
  const strict = await raw('POST', `/api/v1/namespaces/${ns}/secrets?fieldValidation=Strict`, JSON.stringify({ metadata: { name: 'strict' }, colour: 'red' }));
  expect(strict).toMatchObject({ code: 400, body: { message: 'Secret in version "v1" cannot be handled as a Secret: strict decoding error: unknown field "colour"' } });
  const bogusDryRun = await raw('POST', `/api/v1/namespaces/${ns}/secrets?dryRun=Bogus`, JSON.stringify({ metadata: { name: 'bogus' } }));
  expect(bogusDryRun.code).toBe(422);
  await expect(core.readNamespacedSecret({ namespace: ns, name: 'bogus' })).rejects.toMatchObject({ code: 404 });
  const paged = await core.listNamespacedSecret({ namespace: ns, limit: 1 });
  expect(paged.items).toHaveLength(1);
  const rest = await core.listNamespacedSecret({ namespace: ns, limit: 100, _continue: paged.metadata!._continue });
  expect(rest.items.map((s) => s.metadata!.name)).not.toContain(paged.items[0]!.metadata!.name);
});

test('list filters by label and field selectors', async () => {
  for (const name of ['sel-a', 'sel-b']) await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name, labels: { group: 'sel', which: name } } } });
  const byLabel = await core.listNamespacedSecret({ namespace: ns, labelSelector: 'group=sel,which in (sel-b)' });
  expect(byLabel.items.map((s) => s.metadata!.name)).toEqual(['sel-b']);
  const byField = await core.listNamespacedSecret({ namespace: ns, fieldSelector: 'metadata.name=sel-a' });
  expect(byField.items.map((s) => s.metadata!.name)).toEqual(['sel-a']);
  const notIn = await core.listNamespacedSecret({ namespace: ns, labelSelector: 'group=sel,which!=sel-b' });
  expect(notIn.items.map((s) => s.metadata!.name)).toEqual(['sel-a']);
});

test('watch resumes from a resourceVersion after a drop, and an expired one gets 410 Gone', async () => {
  const watch = new Watch(kc);
  const seen: string[] = [];
  let ended: unknown = 'open';
  const list = await core.listNamespacedSecret({ namespace: ns, labelSelector: 'w=1' });
  await watch.watch(
    `/api/v1/namespaces/${ns}/secrets`,
    { labelSelector: 'w=1', resourceVersion: list.metadata!.resourceVersion },
    (type, obj) => seen.push(`${type} ${obj.metadata.name}`),
    (err) => (ended = err),
  );
  await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'w-a', labels: { w: '1' } } } });
  await waitUntil(() => seen.length === 1);
  expect(sim.faults.dropWatches()).toBeGreaterThanOrEqual(1);
  await waitUntil(() => ended !== 'open');
  const lastRv = (await core.readNamespacedSecret({ namespace: ns, name: 'w-a' })).metadata!.resourceVersion!;
  // changes while nobody is watching
  await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'w-b', labels: { w: '1' } } } });
  await core.deleteNamespacedSecret({ namespace: ns, name: 'w-a' });
  const resumed: string[] = [];
  const ctrl = await watch.watch(
    `/api/v1/namespaces/${ns}/secrets`,
    { labelSelector: 'w=1', resourceVersion: lastRv },
    (type, obj) => resumed.push(`${type} ${obj.metadata.name}`),
    () => undefined,
  );
  await waitUntil(() => resumed.length === 2);
  expect(resumed).toEqual(['ADDED w-b', 'DELETED w-a']);
  ctrl.abort();

  sim.faults.expireResourceVersions();
  const events: { type: string; obj: any }[] = [];
  await watch.watch(
    `/api/v1/namespaces/${ns}/secrets`,
    { resourceVersion: lastRv },
    (type, obj) => events.push({ type, obj }),
    () => undefined,
  );
  await waitUntil(() => events.length === 1);
  expect(events[0]).toMatchObject({ type: 'ERROR', obj: { kind: 'Status', code: 410, reason: 'Expired' } });
});

test('deleting an owner garbage-collects its dependents', async () => {
  const owner = await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'owner' } } });
  const ref = { apiVersion: 'v1', kind: 'Secret', name: 'owner', uid: owner.metadata!.uid! };
  await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'dependent', ownerReferences: [ref] } } });
  await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'dependent-sa', ownerReferences: [ref] } } });
  await core.deleteNamespacedSecret({ namespace: ns, name: 'owner' });
  // Garbage collection is asynchronous, as the garbage collector controller is in a cluster.
  await waitUntil(async () => (await core.readNamespacedSecret({ namespace: ns, name: 'dependent' }).catch((e) => e)).code === 404);
  await waitUntil(async () => (await core.readNamespacedServiceAccount({ namespace: ns, name: 'dependent-sa' }).catch((e) => e)).code === 404);
});

test('injected 500 and 429 faults reach the client with Retry-After', async () => {
  sim.faults.failNext(1, { code: 429, retryAfterSeconds: 2 });
  const tooMany = await core.listNamespacedSecret({ namespace: ns }).catch((e) => e);
  expect(tooMany.code).toBe(429);
  expect(tooMany.headers['retry-after']).toBe('2');
  sim.faults.failNext(1, { code: 500, path: /\/secrets$/ });
  await expect(core.listNamespacedPod({ namespace: ns })).resolves.toBeDefined();
  await expect(core.listNamespacedSecret({ namespace: ns })).rejects.toMatchObject({ code: 500 });
  await expect(core.listNamespacedSecret({ namespace: ns })).resolves.toBeDefined();
});

test('SelfSubjectAccessReview answers from the configured rules, which requests also obey', async () => {
  const authz = kc.makeApiClient(AuthorizationV1Api);
  const ask = async (verb: string, resource: string, subresource?: string) => (await authz.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { namespace: ns, verb, resource, subresource } } } })).status!.allowed;
  expect(await ask('create', 'pods', 'exec')).toBe(true);
  sim.rbac.deny('create', 'pods/exec');
  sim.rbac.deny('list', 'secrets');
  try {
    expect(await ask('create', 'pods', 'exec')).toBe(false);
    expect(await ask('create', 'pods')).toBe(true);
    const forbidden = await core.listNamespacedSecret({ namespace: ns }).catch((e) => e);
    expect(statusOf(forbidden)).toMatchObject({ code: 403, body: { reason: 'Forbidden' } });
    expect(statusOf(forbidden).body.message).toContain('cannot list resource "secrets"');
  } finally {
    sim.rbac.allowAll();
  }
});

// The Deployment controller is real now: an image that cannot be pulled leaves the rollout
// unavailable (the old stub marked every rollout available). deployments.itg.test.ts runs pods.
test('deployments: create, patch, an unpullable image leaves the rollout unavailable, delete; services too', async () => {
  const apps = kc.makeApiClient(AppsV1Api);
  const body = {
    metadata: { name: 'web' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: '127.0.0.1:1/web:1' }] } },
    },
  };
  await apps.createNamespacedDeployment({ namespace: ns, body });
  await waitUntil(async () => (await apps.readNamespacedDeployment({ namespace: ns, name: 'web' })).status?.updatedReplicas === 2);
  const d = await apps.readNamespacedDeployment({ namespace: ns, name: 'web' });
  expect(d.status?.availableReplicas).toBeUndefined();
  expect(d.status?.conditions?.find((c) => c.type === 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable' });
  const patched = await apps.patchNamespacedDeployment({ namespace: ns, name: 'web', body: [{ op: 'replace', path: '/spec/replicas', value: 3 }] });
  expect(patched.metadata!.generation).toBe(2);
  await waitUntil(async () => (await apps.readNamespacedDeployment({ namespace: ns, name: 'web' })).status?.observedGeneration === 2);
  const svc = await core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } } });
  expect(svc.spec!.clusterIP).toMatch(/^10\.96\./);
  await apps.deleteNamespacedDeployment({ namespace: ns, name: 'web' });
  await expect(apps.readNamespacedDeployment({ namespace: ns, name: 'web' })).rejects.toMatchObject({ code: 404 });
  // its ReplicaSet and pods follow, asynchronously
  await waitUntil(async () => (await apps.listNamespacedReplicaSet({ namespace: ns })).items.length === 0);
  await waitUntil(async () => (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' })).items.length === 0);
});

async function waitUntil(probe: () => boolean | Promise<boolean>, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
