import { describe, expect, test } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { explainPodProblem } from './pods.js';

describe('explainPodProblem', () => {
  const roles = { kaniko: 'kaniko executor', context: 'context container' };
  const pod = (status: V1Pod['status'], limits?: Record<string, string>): V1Pod => ({
    metadata: { name: 'p' },
    spec: { containers: [{ name: 'kaniko', image: 'e:1', resources: limits ? { limits } : undefined }] },
    status,
  });
  test.each<[string, V1Pod, string | undefined]>([
    ['running', pod({ phase: 'Running', containerStatuses: [{ name: 'kaniko', image: 'e:1', imageID: '', ready: true, restartCount: 0, state: { running: {} } }] }), undefined],
    [
      'pull back-off',
      pod({ phase: 'Pending', containerStatuses: [{ name: 'kaniko', image: 'e:1', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff', message: 'not found' } } }] }),
      'the kaniko executor image "e:1" cannot be pulled (ImagePullBackOff): not found',
    ],
    [
      'OOMKilled',
      pod({ phase: 'Failed', containerStatuses: [{ name: 'kaniko', image: 'e:1', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }] }, { memory: '1Gi' }),
      'the kaniko executor ran out of memory (OOMKilled, limit 1Gi); raise resources.memory for this image',
    ],
    ['evicted', pod({ phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: ephemeral-storage.' }), 'pod p was evicted by the node: The node was low on resource: ephemeral-storage.'],
    [
      'exit code',
      pod({ phase: 'Failed', containerStatuses: [{ name: 'kaniko', image: 'e:1', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 1, reason: 'Error' } } }] }),
      'the kaniko executor exited with code 1',
    ],
    [
      'init container failed',
      pod({ phase: 'Failed', initContainerStatuses: [{ name: 'context', image: 'c:1', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 2, reason: 'Error' } } }] }),
      'the context container exited with code 2',
    ],
  ])('%s', (_name, input, expected) => expect(explainPodProblem(input, roles)).toBe(expected));
});
