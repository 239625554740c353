// When is an environment up? What `kubectl rollout status deployment/NAME` decides (its
// DeploymentStatusViewer: observedGeneration caught up, the progress deadline not exceeded, all
// replicas updated, no old ones left, the updated ones available), plus what kubectl leaves to
// the progress deadline but a person wants to hear at once: a crash loop, an image that does not
// exist, a container whose config cannot be made (a missing Secret or key). Unschedulable pods
// keep waiting: capacity may come. Pure: no I/O.
import type { V1ContainerStatus, V1Deployment, V1Pod } from '@kubernetes/client-node';
import { POD_TEMPLATE_LABEL } from './manifests.js';

export type Verdict = { state: 'ready'; message: string } | { state: 'waiting'; message: string } | { state: 'failed'; reason: string; message: string };

/** kubectl's own verdict from the Deployment alone (k8s.io/kubectl/pkg/polymorphichelpers/rollout_status.go). */
export function kubectlVerdict(deployment: V1Deployment): Verdict {
  const name = deployment.metadata?.name ?? '';
  const status = deployment.status ?? {};
  if ((deployment.metadata?.generation ?? 0) > (status.observedGeneration ?? 0)) {
    return { state: 'waiting', message: 'Waiting for deployment spec update to be observed...' };
  }
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return { state: 'failed', reason: 'ProgressDeadlineExceeded', message: `deployment "${name}" exceeded its progress deadline${progressing.message ? `: ${progressing.message}` : ''}` };
  }
  const wanted = deployment.spec?.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  const replicas = status.replicas ?? 0;
  const available = status.availableReplicas ?? 0;
  if (updated < wanted) return { state: 'waiting', message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${wanted} new replicas have been updated...` };
  if (replicas > updated) return { state: 'waiting', message: `Waiting for deployment "${name}" rollout to finish: ${replicas - updated} old replicas are pending termination...` };
  if (available < updated) return { state: 'waiting', message: `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...` };
  return { state: 'ready', message: `deployment "${name}" successfully rolled out` };
}

/** Pods of the rollout in progress: those with the Deployment's current pod-template label. */
export function currentPods(deployment: V1Deployment, pods: readonly V1Pod[]): V1Pod[] {
  const hash = deployment.spec?.template?.metadata?.labels?.[POD_TEMPLATE_LABEL];
  return pods.filter((p) => hash === undefined || p.metadata?.labels?.[POD_TEMPLATE_LABEL] === hash);
}

const IMAGE_MISSING = /not found|manifest unknown|does not exist|name unknown|404/i;

/** A container state that will not get better by waiting, with its reason; undefined otherwise. */
export function containerFailure(status: V1ContainerStatus): { reason: string; message: string } | undefined {
  const waiting = status.state?.waiting;
  if (!waiting?.reason) return undefined;
  const what = `container '${status.name}'`;
  switch (waiting.reason) {
    case 'CrashLoopBackOff': {
      const last = status.lastState?.terminated;
      const exit = last ? ` (last exit code ${last.exitCode}${last.reason ? `, ${last.reason}` : ''})` : '';
      return { reason: 'CrashLoopBackOff', message: `${what} keeps crashing: restarted ${status.restartCount ?? 0} times${exit}` };
    }
    case 'ErrImagePull':
    case 'ImagePullBackOff':
      if (IMAGE_MISSING.test(waiting.message ?? '')) return { reason: waiting.reason, message: `${what}: image ${status.image} not found: ${waiting.message}` };
      return undefined;
    case 'InvalidImageName':
    case 'CreateContainerConfigError':
    case 'CreateContainerError':
      return { reason: waiting.reason, message: `${what}: ${waiting.message ?? waiting.reason}` };
    default:
      return undefined;
  }
}

/** The whole verdict: fail fast on what will not heal, else what kubectl says, with why pods wait. */
export function rolloutVerdict(deployment: V1Deployment, pods: readonly V1Pod[]): Verdict {
  const mine = currentPods(deployment, pods);
  for (const pod of mine) {
    for (const status of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
      const failure = containerFailure(status);
      if (failure) return { state: 'failed', ...failure };
    }
  }
  const verdict = kubectlVerdict(deployment);
  if (verdict.state !== 'waiting') return verdict;
  for (const pod of mine) {
    const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
      return { state: 'waiting', message: `${verdict.message} (pod ${pod.metadata?.name} is unschedulable: ${scheduled.message ?? 'no node fits'})` };
    }
    const waiting = pod.status?.containerStatuses?.find((s) => s.state?.waiting?.reason && s.state.waiting.reason !== 'ContainerCreating');
    if (waiting) return { state: 'waiting', message: `${verdict.message} (container '${waiting.name}': ${waiting.state!.waiting!.reason}${waiting.state!.waiting!.message ? `: ${waiting.state!.waiting!.message}` : ''})` };
  }
  return verdict;
}
