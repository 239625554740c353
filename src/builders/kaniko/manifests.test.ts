import { describe, expect, test } from '@jest/globals';
import { kanikoArgs, kanikoPod, smokePod, type KanikoArgsInput } from './manifests.js';

const base: KanikoArgsInput = { destinations: ['r.io/a/b:test'], buildArgs: {}, labels: {}, insecureRegistries: [] };

describe('kanikoArgs', () => {
  test.each<[string, KanikoArgsInput, string[]]>([
    ['minimal', base, ['--dockerfile=/workspace/build-image.Dockerfile', '--context=dir:///workspace/context', '--destination=r.io/a/b:test', '--digest-file=/dev/termination-log', '--push-retry=2']],
    [
      'destinations, sorted build args and labels, insecure registries once',
      {
        destinations: ['r.io/a/b:test', 'r.io/a/b:abc'],
        buildArgs: { Z: '1', A: 'x=y' },
        labels: { 'org.opencontainers.image.source': 'https://github.com/acme/t' },
        insecureRegistries: ['127.0.0.1:5000', '127.0.0.1:5000'],
      },
      [
        '--dockerfile=/workspace/build-image.Dockerfile',
        '--context=dir:///workspace/context',
        '--destination=r.io/a/b:test',
        '--destination=r.io/a/b:abc',
        '--build-arg=A=x=y',
        '--build-arg=Z=1',
        '--label=org.opencontainers.image.source=https://github.com/acme/t',
        '--insecure-registry=127.0.0.1:5000',
        '--skip-tls-verify-registry=127.0.0.1:5000',
        '--digest-file=/dev/termination-log',
        '--push-retry=2',
      ],
    ],
    [
      'cache repository and TTL, push retries, extra args',
      { ...base, cache: { repo: 'r.io/a/cache', ttl: '168h' }, pushRetry: 5, extraArgs: ['--snapshot-mode=redo'] },
      [
        '--dockerfile=/workspace/build-image.Dockerfile',
        '--context=dir:///workspace/context',
        '--destination=r.io/a/b:test',
        '--cache=true',
        '--cache-repo=r.io/a/cache',
        '--cache-ttl=168h',
        '--digest-file=/dev/termination-log',
        '--push-retry=5',
        '--snapshot-mode=redo',
      ],
    ],
  ])('%s', (_name, input, expected) => expect(kanikoArgs(input)).toEqual(expected));
});

describe('kanikoPod', () => {
  const pod = kanikoPod({
    ...base,
    namespace: 'builds',
    runId: 'r1',
    podName: 'build-app-abc',
    imageName: 'app',
    executorImage: 'e:1',
    contextImage: 'c:1',
    resources: { cpu: '2', memory: '4Gi' },
    dockerConfigSecret: 'creds',
    serviceAccount: 'builder',
    nodeSelector: { pool: 'build' },
    tolerations: [{ key: 'build', operator: 'Exists', effect: 'NoSchedule' }],
  });
  test('least privilege, labels, scheduling and the shared workspace', () => {
    expect(pod.metadata!.labels).toEqual({
      'app.kubernetes.io/managed-by': 'build-image',
      'build-image.coder.com/run-id': 'r1',
      'app.kubernetes.io/component': 'build',
      'build-image.coder.com/image': 'app',
    });
    const spec = pod.spec!;
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(spec.restartPolicy).toBe('Never');
    expect(spec.serviceAccountName).toBe('builder');
    expect(spec.nodeSelector).toEqual({ pool: 'build' });
    expect(spec.tolerations).toHaveLength(1);
    const kaniko = spec.containers[0]!;
    expect(kaniko.securityContext).toMatchObject({ privileged: false, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'SETGID', 'SETUID', 'KILL', 'SETFCAP'] } });
    expect(kaniko.resources).toEqual({ requests: { cpu: '2', memory: '4Gi' }, limits: { cpu: '2', memory: '4Gi' } });
    expect(kaniko.volumeMounts).toEqual([
      { name: 'workspace', mountPath: '/workspace' },
      { name: 'docker-config', mountPath: '/kaniko/.docker', readOnly: true },
    ]);
    expect(spec.volumes).toContainEqual({ name: 'docker-config', secret: { secretName: 'creds', items: [{ key: '.dockerconfigjson', path: 'config.json' }] } });
    expect(spec.initContainers![0]!.command).toEqual(['sh', '-c', 'until [ -f /workspace/.build-image-ready ]; do sleep 0.2; done']);
  });
  test('without credentials nothing is mounted at /kaniko/.docker', () => {
    const plain = kanikoPod({ ...base, namespace: 'b', runId: 'r', podName: 'p', imageName: 'i', executorImage: 'e', contextImage: 'c' });
    expect(plain.spec!.volumes).toEqual([{ name: 'workspace', emptyDir: {} }]);
    expect(plain.spec!.containers[0]!.resources).toBeUndefined();
  });
  test('smoke pods run the command with sh -c', () => {
    const smoke = smokePod({ namespace: 'b', runId: 'r', podName: 'smoke-x', imageName: 'x', image: 'r.io/x@sha256:00', testName: 'git', run: 'git --version', imagePullSecrets: ['creds'] });
    expect(smoke.spec!.containers[0]!.command).toEqual(['sh', '-c', 'git --version']);
    expect(smoke.spec!.imagePullSecrets).toEqual([{ name: 'creds' }]);
  });
});

describe('KanikoBuilder.dryRun', () => {
  test('lists the secret (redacted) and pod it would create, without a cluster', async () => {
    const { KanikoBuilder } = await import('./builder.js');
    const b = new KanikoBuilder({ namespace: 'builds', runId: 'r9', credentials: { named: [{ name: 'ghcr', registry: 'ghcr.io', username: 'u', password: 'p' }] } });
    const plan = b.dryRun({ name: 'app', contextDir: '/src/app', dockerfile: 'FROM x', destinations: ['ghcr.io/a/app:test'], buildArgs: {}, labels: {}, insecureRegistries: [], credentials: 'ghcr', log: () => undefined });
    expect(plan.namespace).toBe('builds');
    expect(plan.objects.map((o) => `${o.kind}/${o.metadata!.name}`)).toEqual(['Secret/build-creds-app-xxxxx', 'Pod/build-app-xxxxx']);
    expect(JSON.stringify(plan.objects)).not.toContain(Buffer.from('u:p').toString('base64'));
    expect(plan.steps[2]).toContain('tar -x -o -f - -C /workspace');
  });
});
