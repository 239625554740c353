// Real kubectl (v1.32, on every machine here; .ci/run checks for it) against the simulator over
// HTTPS with the simulator's CA and bearer token: discovery, create/apply (client- and
// server-side), validation errors as kubectl prints them, a Deployment rolled out by the
// controllers and run by the kubelet (busybox from the loopback registry), logs, exec, scale,
// wait, delete.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { get } from 'node:https';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { registryWithBusybox } from '../harness/buildah.js';
import type { TestRegistry } from '../harness/registry.js';
import { startKubeSim, type KubeSim } from './index.js';

const ns = 'kubectl-test';
let sim: KubeSim;
let registry: TestRegistry;
let busybox: string;
let dir: string;

beforeAll(async () => {
  [sim, { registry, busybox }] = await Promise.all([startKubeSim({ namespaces: [ns] }), registryWithBusybox()]);
  dir = mkdtempSync(join(tmpdir(), 'kubectl-test-'));
}, 120000);
afterAll(async () => {
  await sim?.stop();
  await registry?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function kubectl(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile('kubectl', ['--kubeconfig', sim.kubeconfigPath, '-n', ns, ...args], { timeout: 90000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function ok(...args: string[]): Promise<string> {
  const r = await kubectl(...args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

test('version needs no credentials; discovery lists the served resources', async () => {
  const version = JSON.parse(await ok('version', '-o', 'json'));
  expect(version.serverVersion.gitVersion).toBe('v1.32.0-kube-sim');
  const resources = await ok('api-resources', '--no-headers', '-o', 'name');
  expect(resources.split('\n')).toEqual(expect.arrayContaining(['pods', 'secrets', 'configmaps', 'deployments.apps', 'replicasets.apps', 'persistentvolumeclaims']));
  // Without credentials: /version answers (system:public-info-viewer), discovery is 401.
  const anonymous = (path: string): Promise<number> => new Promise((resolve, reject) => get(`${sim.url}${path}`, { ca: sim.caPem }, (res) => resolve(res.resume().statusCode!)).on('error', reject));
  expect(await anonymous('/version')).toBe(200);
  expect(await anonymous('/api')).toBe(401);
}, 60000);

test('create -f, apply -f client-side then server-side, get -o json agrees with the API', async () => {
  const path = file('cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: one\n');
  expect(await ok('create', '-f', path)).toBe('configmap/settings created\n');
  const again = await kubectl('create', '-f', path);
  expect(again.code).not.toBe(0);
  expect(again.stderr).toContain('Error from server (AlreadyExists): error when creating');
  writeFileSync(path, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: two\n  extra: x\n');
  expect(await ok('apply', '-f', path)).toContain('configmap/settings configured');
  writeFileSync(path, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: three\n');
  expect(await ok('apply', '--server-side', '--force-conflicts', '-f', path)).toBe('configmap/settings serverside-applied\n');
  const shown = JSON.parse(await ok('get', 'configmap', 'settings', '-o', 'json', '--show-managed-fields'));
  const core = sim.kubeConfig().makeApiClient(CoreV1Api);
  const read = await core.readNamespacedConfigMap({ namespace: ns, name: 'settings' });
  expect(shown.data.mode).toBe('three');
  expect(shown.metadata.resourceVersion).toBe(read.metadata!.resourceVersion);
  expect(shown.metadata.managedFields.map((m: { manager: string }) => m.manager)).toContain('kubectl');
  const created = await ok('apply', '--server-side', '-f', file('new.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa-new\n  labels: {a: "1", b: "2"}\ndata:\n  k: v\n  gone: soon\n'));
  expect(created).toBe('configmap/ssa-new serverside-applied\n');
  // A field the manager stops applying is removed; others stay.
  await ok('apply', '--server-side', '-f', file('new.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa-new\n  labels: {a: "1"}\ndata:\n  k: w\n'));
  const pruned = JSON.parse(await ok('get', 'configmap', 'ssa-new', '-o', 'json'));
  expect(pruned.data).toEqual({ k: 'w' });
  expect(pruned.metadata.labels).toEqual({ a: '1' });
}, 60000);

test('what a real server rejects, kubectl reports in the real server words', async () => {
  // Unknown field with kubectl's default --validate=strict: 400 from the strict decoder.
  const unknown = await kubectl('apply', '-f', file('unknown.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\ndata: {a: b}\nbogus: 1\n'));
  expect(unknown.stderr).toContain('Error from server (BadRequest): error when creating');
  expect(unknown.stderr).toContain('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "bogus"');
  // A field-level rule: 422 with the field path (ValidateContainers: image required).
  const invalid = await kubectl('create', '-f', file('pod.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: noimage\nspec:\n  containers:\n  - name: main\n'));
  expect(invalid.stderr).toContain('The Pod "noimage" is invalid: spec.containers[0].image: Required value');
  // A bad quantity fails in decode: 400.
  const quantity = await kubectl('create', '-f', file('q.yaml', `apiVersion: v1\nkind: Pod\nmetadata:\n  name: q\nspec:\n  containers:\n  - name: main\n    image: ${busybox}\n    resources: {limits: {memory: 4GB}}\n`));
  expect(quantity.stderr).toContain('Pod in version "v1" cannot be handled as a Pod: quantities must match the regular expression');
  // The default namespace is protected (NamespaceLifecycle admission).
  const protectedNs = await kubectl('delete', 'namespace', 'default');
  expect(protectedNs.stderr).toContain('Error from server (Forbidden): namespaces "default" is forbidden: this namespace may not be deleted');
}, 60000);

test('a Deployment rolls out; rollout status, wait, logs, exec, scale and delete work', async () => {
  const manifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: main
        image: ${busybox}
        command: ['sh', '-c', 'echo started; exec sleep 3600']
`;
  await ok('apply', '-f', file('web.yaml', manifest));
  expect(await ok('rollout', 'status', 'deployment/web', '--timeout=90s')).toContain('deployment "web" successfully rolled out');
  expect(await ok('wait', '--for=condition=Available', 'deployment/web', '--timeout=30s')).toBe('deployment.apps/web condition met\n');
  const pods = JSON.parse(await ok('get', 'pods', '-l', 'app=web', '-o', 'json')).items;
  expect(pods).toHaveLength(1);
  const pod = pods[0].metadata.name as string;
  expect(pods[0].metadata.ownerReferences[0]).toMatchObject({ kind: 'ReplicaSet', controller: true });
  expect(await ok('wait', '--for=condition=Ready', `pod/${pod}`, '--timeout=30s')).toBe(`pod/${pod} condition met\n`);
  expect(await ok('logs', pod)).toBe('started\n');
  const events = JSON.parse(await ok('get', 'events', '--field-selector', `involvedObject.name=${pod}`, '-o', 'json')).items.map((e: { reason: string }) => e.reason);
  expect(events).toEqual(expect.arrayContaining(['Scheduled', 'Pulling', 'Created', 'Started']));
  expect(await ok('describe', 'deployment', 'web')).toMatch(/ScalingReplicaSet\s+.*deployment-controller\s+Scaled up replica set web-\w+ from 0 to 1/);
  expect(await ok('exec', pod, '--', 'sh', '-c', 'echo from exec; id -u')).toBe('from exec\n0\n');
  const failed = await kubectl('exec', pod, '--', 'sh', '-c', 'exit 3');
  expect(failed.code).toBe(3);
  expect(await ok('scale', 'deployment/web', '--replicas=2')).toBe('deployment.apps/web scaled\n');
  await ok('rollout', 'status', 'deployment/web', '--timeout=90s');
  const apps = sim.kubeConfig().makeApiClient(AppsV1Api);
  const d = await apps.readNamespacedDeployment({ namespace: ns, name: 'web' });
  expect(d.status).toMatchObject({ replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2, observedGeneration: d.metadata!.generation });
  expect(d.status!.conditions!.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });
  expect(await ok('get', 'deployment', 'web', '--no-headers')).toMatch(/^web\s+2\/2\s+2\s+2\s+/);
  expect(await ok('delete', 'deployment', 'web', '--timeout=60s')).toBe('deployment.apps "web" deleted\n');
  const core = sim.kubeConfig().makeApiClient(CoreV1Api);
  for (let i = 0; i < 100 && (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' })).items.length; i++) await new Promise((r) => setTimeout(r, 100));
  expect((await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' })).items).toHaveLength(0);
}, 180000);
