import type { V1ContainerStatus, V1Deployment, V1Pod } from '@kubernetes/client-node';
import { containerFailure, kubectlVerdict, rolloutVerdict } from './rollout.js';
import { containerRows, containerTable, containerMarkdown } from './report.js';
import { POD_TEMPLATE_LABEL } from './manifests.js';

function deployment(status: V1Deployment['status'], generation = 2, hash = 'new'): V1Deployment {
  return {
    metadata: { name: 'team-a', generation },
    spec: { replicas: 1, selector: {}, template: { metadata: { labels: { [POD_TEMPLATE_LABEL]: hash } } } },
    status,
  };
}

const done = { observedGeneration: 2, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 };

// The messages are kubectl's own (k8s.io/kubectl/pkg/polymorphichelpers/rollout_status.go).
test.each<[string, V1Deployment, string, string]>([
  ['spec not observed yet', deployment({ ...done, observedGeneration: 1 }), 'waiting', 'Waiting for deployment spec update to be observed...'],
  [
    'progress deadline exceeded',
    deployment({ ...done, updatedReplicas: 0, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "team-a-1" has timed out progressing.' }] }),
    'failed',
    'deployment "team-a" exceeded its progress deadline: ReplicaSet "team-a-1" has timed out progressing.',
  ],
  ['not updated', deployment({ ...done, updatedReplicas: 0 }), 'waiting', 'Waiting for deployment "team-a" rollout to finish: 0 out of 1 new replicas have been updated...'],
  ['old replica left', deployment({ ...done, replicas: 2 }), 'waiting', 'Waiting for deployment "team-a" rollout to finish: 1 old replicas are pending termination...'],
  ['not available', deployment({ ...done, availableReplicas: 0 }), 'waiting', 'Waiting for deployment "team-a" rollout to finish: 0 of 1 updated replicas are available...'],
  ['rolled out', deployment(done), 'ready', 'deployment "team-a" successfully rolled out'],
])('kubectl verdict: %s', (_name, d, state, message) => {
  expect(kubectlVerdict(d)).toMatchObject({ state, message });
});

function pod(statuses: V1ContainerStatus[], hash = 'new', conditions: NonNullable<V1Pod['status']>['conditions'] = []): V1Pod {
  return {
    metadata: { name: `team-a-${hash}`, labels: { [POD_TEMPLATE_LABEL]: hash } },
    spec: { containers: statuses.map((s) => ({ name: s.name, image: s.image })) },
    status: { containerStatuses: statuses, conditions },
  };
}

function waiting(name: string, reason: string, message?: string, extra: Partial<V1ContainerStatus> = {}): V1ContainerStatus {
  return { name, image: `img/${name}`, imageID: '', ready: false, restartCount: 0, state: { waiting: { reason, ...(message ? { message } : {}) } }, ...extra };
}

test.each<[string, V1ContainerStatus, { reason: string; message: string } | undefined]>([
  [
    'crash loop',
    waiting('env', 'CrashLoopBackOff', 'back-off 10s', { restartCount: 3, lastState: { terminated: { exitCode: 2, reason: 'Error' } } }),
    { reason: 'CrashLoopBackOff', message: "container 'env' keeps crashing: restarted 3 times (last exit code 2, Error)" },
  ],
  ['image not found', waiting('env', 'ErrImagePull', 'rpc error: reg/x:1: not found'), { reason: 'ErrImagePull', message: "container 'env': image img/env not found: rpc error: reg/x:1: not found" }],
  ['back-off on a missing image', waiting('env', 'ImagePullBackOff', 'manifest unknown'), { reason: 'ImagePullBackOff', message: "container 'env': image img/env not found: manifest unknown" }],
  ['pull refused: keep waiting', waiting('env', 'ErrImagePull', 'connection refused'), undefined],
  ['missing secret', waiting('env', 'CreateContainerConfigError', 'secret "team-a-db" not found'), { reason: 'CreateContainerConfigError', message: 'container \'env\': secret "team-a-db" not found' }],
  ['creating', waiting('env', 'ContainerCreating'), undefined],
])('container failure: %s', (_name, status, expected) => {
  expect(containerFailure(status)).toEqual(expected);
});

test('a crash loop in the new pods fails fast even while kubectl still waits; old pods are not judged', () => {
  const d = deployment({ ...done, availableReplicas: 0 });
  const crashing = waiting('env', 'CrashLoopBackOff', undefined, { restartCount: 1 });
  expect(rolloutVerdict(d, [pod([crashing], 'old')])).toMatchObject({ state: 'waiting' });
  expect(rolloutVerdict(d, [pod([crashing])])).toMatchObject({ state: 'failed', reason: 'CrashLoopBackOff' });
});

test('an unschedulable pod keeps waiting and says why', () => {
  const d = deployment({ ...done, availableReplicas: 0 });
  const p = pod([], 'new', [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient memory.' }]);
  expect(rolloutVerdict(d, [p])).toEqual({
    state: 'waiting',
    message: 'Waiting for deployment "team-a" rollout to finish: 0 of 1 updated replicas are available... (pod team-a-new is unschedulable: 0/1 nodes are available: 1 Insufficient memory.)',
  });
});

test('rows and tables, one per container', () => {
  const running: V1ContainerStatus = { name: 'env', image: 'img/env', imageID: '', ready: true, restartCount: 1, state: { running: {} }, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } } };
  const rows = containerRows([pod([running, waiting('postgres', 'CrashLoopBackOff')])]);
  expect(rows).toEqual([
    { pod: 'team-a-new', container: 'env', image: 'img/env', state: 'running', ready: true, restarts: 1, lastExit: '137 (OOMKilled)' },
    { pod: 'team-a-new', container: 'postgres', image: 'img/postgres', state: 'waiting: CrashLoopBackOff', ready: false, restarts: 0, lastExit: '-' },
  ]);
  expect(containerTable(rows)).toBe(
    [
      'POD          CONTAINER   STATE                       READY   RESTARTS   LAST EXIT         IMAGE',
      'team-a-new   env         running                     yes     1          137 (OOMKilled)   img/env',
      'team-a-new   postgres    waiting: CrashLoopBackOff   no      0          -                 img/postgres',
      '',
    ].join('\n'),
  );
  expect(containerMarkdown(rows).split('\n')[2]).toBe('| team-a-new | env | running | yes | 1 | 137 (OOMKilled) | img/env |');
});
