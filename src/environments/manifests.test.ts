import type { EnvironmentTemplate, ContainerSpec } from '../templates/types.js';
import { environmentObjects, environmentSecretName, environmentSelector, isUpToDate, POD_TEMPLATE_LABEL } from './manifests.js';

function template(containers: ContainerSpec[], name = 'team-a'): EnvironmentTemplate {
  return { kind: 'environment', name, file: `.coder/environments/${name}.yaml`, source: undefined as never, provider: 'kubernetes', containers };
}

const TEAM_A = template([
  {
    name: 'env',
    primary: true,
    image: 'team-dev',
    tag: 'main',
    cpu: 2,
    memory: '4GB',
    env: [
      { name: 'PGHOST', value: 'localhost' },
      { name: 'PGPASSWORD', value: { fromSecret: { name: 'db.yaml', key: 'password' } } },
    ],
  },
  {
    name: 'postgres',
    image: 'postgres:16',
    memory: '512Mi',
    env: [
      { name: 'POSTGRES_DB', value: 'coder' },
      { name: 'POSTGRES_PASSWORD', value: { fromSecret: { name: 'db', key: 'password' } } },
    ],
  },
]);
const IMAGES = { env: 'reg/acme/env-team-a@sha256:aa', postgres: 'postgres:16' };

test('team-a: one replica, both containers, resources, env with secretKeyRefs, labels, rolling update without a disk', () => {
  const { deployment, claims, secrets } = environmentObjects({ template: TEAM_A, namespace: 'dev', images: IMAGES, buildId: 'b'.repeat(64) });
  expect(claims).toEqual([]);
  expect(secrets).toEqual(['team-a-db']);
  expect(deployment.metadata).toMatchObject({
    name: 'team-a',
    namespace: 'dev',
    labels: { 'app.kubernetes.io/managed-by': 'build-image', 'build-image.coder.com/environment': 'team-a', 'app.kubernetes.io/name': 'team-a' },
    annotations: { 'build-image.coder.com/build-id': 'b'.repeat(64) },
  });
  expect(deployment.spec!.replicas).toBe(1);
  expect(deployment.spec!.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
  expect(deployment.spec!.selector.matchLabels).toEqual({ 'build-image.coder.com/environment': 'team-a', 'app.kubernetes.io/managed-by': 'build-image' });
  const [env, postgres] = deployment.spec!.template.spec!.containers;
  expect(env).toEqual({
    name: 'env',
    image: IMAGES.env,
    imagePullPolicy: 'IfNotPresent',
    env: [
      { name: 'PGHOST', value: 'localhost' },
      { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'team-a-db', key: 'password' } } },
    ],
    resources: { requests: { cpu: '2', memory: '4Gi' }, limits: { cpu: '2', memory: '4Gi' } },
  });
  expect(postgres!.env![1]).toEqual({ name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { name: 'team-a-db', key: 'password' } } });
  expect(deployment.spec!.template.metadata!.labels![POD_TEMPLATE_LABEL]).toMatch(/^[0-9a-f]{16}$/);
  // Every label of the selector is on the pod template (a real API server rejects it otherwise).
  for (const [k, v] of Object.entries(deployment.spec!.selector.matchLabels!)) expect(deployment.spec!.template.metadata!.labels![k]).toBe(v);
});

test('a sized volume becomes a ReadWriteOnce claim and the Deployment uses Recreate; an unsized one an emptyDir', () => {
  const t = template([
    {
      name: 'dev',
      image: 'x',
      volumes: [
        { name: 'home', mountPath: '/home/coder', size: '10GB' },
        { name: 'scratch', mountPath: '/scratch' },
      ],
    },
    { name: 'side', image: 'y', volumes: [{ name: 'home', mountPath: '/data' }] },
  ]);
  const { deployment, claims } = environmentObjects({ template: t, namespace: 'dev', images: { dev: 'x', side: 'y' }, buildId: 'id' });
  expect(claims).toEqual([
    {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'team-a-home', namespace: 'dev', labels: expect.objectContaining({ 'build-image.coder.com/environment': 'team-a' }) },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } },
    },
  ]);
  expect(deployment.spec!.strategy).toEqual({ type: 'Recreate' });
  expect(deployment.spec!.template.spec!.volumes).toEqual([
    { name: 'home', persistentVolumeClaim: { claimName: 'team-a-home' } },
    { name: 'scratch', emptyDir: {} },
  ]);
  expect(deployment.spec!.template.spec!.containers[1]!.volumeMounts).toEqual([{ name: 'home', mountPath: '/data' }]);
});

test('the primary container comes first, credentials become imagePullSecrets, extra env is merged under the template', () => {
  const t = template([
    { name: 'db', image: 'pg', credentials: 'ghcr' },
    { name: 'dev', primary: true, image: 'x', credentials: 'ghcr', env: [{ name: 'A', value: 1 }] },
  ]);
  const { deployment } = environmentObjects({ template: t, namespace: 'n', images: { db: 'pg', dev: 'x' }, buildId: 'id', extraEnv: { dev: { A: 'from-devcontainer', B: 'b' } } });
  const spec = deployment.spec!.template.spec!;
  expect(spec.containers.map((c) => c.name)).toEqual(['dev', 'db']);
  expect(spec.imagePullSecrets).toEqual([{ name: 'ghcr' }]);
  expect(spec.containers[0]!.env).toEqual([
    { name: 'B', value: 'b' },
    { name: 'A', value: '1' },
  ]);
});

test('a new build ID or image changes the pod template; the same inputs are up to date', () => {
  const a = environmentObjects({ template: TEAM_A, namespace: 'dev', images: IMAGES, buildId: 'one' }).deployment;
  const same = environmentObjects({ template: TEAM_A, namespace: 'dev', images: IMAGES, buildId: 'one' }).deployment;
  const other = environmentObjects({ template: TEAM_A, namespace: 'dev', images: IMAGES, buildId: 'two' }).deployment;
  expect(isUpToDate(a, same)).toBe(true);
  expect(isUpToDate(a, other)).toBe(false);
  expect(isUpToDate(undefined, a)).toBe(false);
});

test.each([
  ['team-a', 'db.yaml', 'team-a-db'],
  ['team_b.x', 'DB', 'team-b.x-db'],
])('secret name of %s / %s', (env, file, expected) => {
  expect(environmentSecretName(env, file)).toBe(expected);
});

test('an invalid quantity is a UserError naming the container', () => {
  const t = template([{ name: 'dev', image: 'x', memory: 'lots' }]);
  expect(() => environmentObjects({ template: t, namespace: 'n', images: { dev: 'x' }, buildId: 'i' })).toThrow("environment 'team-a', container 'dev': memory 'lots' is not a Kubernetes quantity");
  expect(environmentSelector('team-a')).toBe('app.kubernetes.io/managed-by=build-image,build-image.coder.com/environment=team-a');
});
