// Reading a pod's status the way a person would: the first thing that keeps it from running,
// in words. Pure; the kaniko builder's (environment rollouts judge containers in rollout.ts).
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';

/** Waiting reasons that mean the image will not be pulled without a change. */
const PULL_FAILURES = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull', 'RegistryUnavailable']);
/** Waiting reasons that mean the container cannot be created as specified. */
const START_FAILURES = new Set(['CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

/** Why a pod failed, from its status; undefined if nothing is wrong (yet). Pure. */
export function explainPodProblem(pod: V1Pod, roles: Record<string, string> = {}): string | undefined {
  const status = pod.status ?? {};
  const name = pod.metadata?.name ?? 'pod';
  if (status.reason === 'Evicted') return `pod ${name} was evicted by the node: ${(status.message ?? '').trim() || 'no reason given'}`;
  const all: [V1ContainerStatus, string][] = [
    ...(status.initContainerStatuses ?? []).map((s) => [s, roles[s.name] ?? `init container ${s.name}`] as [V1ContainerStatus, string]),
    ...(status.containerStatuses ?? []).map((s) => [s, roles[s.name] ?? `container ${s.name}`] as [V1ContainerStatus, string]),
  ];
  for (const [s, role] of all) {
    const waiting = s.state?.waiting;
    if (waiting?.reason && PULL_FAILURES.has(waiting.reason)) {
      return `the ${role} image "${s.image}" cannot be pulled (${waiting.reason}): ${waiting.message ?? 'no details'}`;
    }
    if (waiting?.reason && START_FAILURES.has(waiting.reason)) return `the ${role} cannot start (${waiting.reason}): ${waiting.message ?? ''}`.trim();
    const done = s.state?.terminated;
    if (done?.reason === 'OOMKilled') {
      const limit = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find((c) => c.name === s.name)?.resources?.limits?.memory;
      return `the ${role} ran out of memory (OOMKilled${limit ? `, limit ${limit}` : ''}); raise resources.memory for this image`;
    }
    if (done && done.exitCode !== 0) {
      return `the ${role} exited with code ${done.exitCode}${done.reason && done.reason !== 'Error' ? ` (${done.reason})` : ''}`;
    }
  }
  if (status.phase === 'Failed') return `pod ${name} failed${status.reason ? ` (${status.reason})` : ''}${status.message ? `: ${status.message}` : ''}`;
  return undefined;
}
