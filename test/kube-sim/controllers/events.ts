// core/v1 Events as the kubelet and controllers record them (what `kubectl describe` lists under
// Events): reason, message, type, the involved object, a source component. Recording never fails
// the caller (a Terminating namespace refuses new events, as it does in a cluster).
import { randomBytes } from 'node:crypto';
import type { Registry } from '../apiserver/registry.js';
import { apiVersionOf, nowTimestamp, resourceByKind, type KObject } from '../store/types.js';

const EVENT = resourceByKind('Event');

export function recordEvent(registry: Registry, involved: KObject, type: 'Normal' | 'Warning', reason: string, message: string, component: string, fieldPath?: string): void {
  const ns = involved.metadata?.namespace;
  if (!ns) return;
  const ts = nowTimestamp();
  try {
    registry.create(EVENT, ns, {
      metadata: { name: `${involved.metadata.name}.${randomBytes(8).toString('hex')}` },
      involvedObject: {
        apiVersion: involved.apiVersion ?? apiVersionOf(resourceByKind(involved.kind)),
        kind: involved.kind,
        name: involved.metadata.name,
        namespace: ns,
        uid: involved.metadata.uid,
        ...(fieldPath ? { fieldPath } : {}),
      },
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: ts,
      lastTimestamp: ts,
      source: { component, ...(component === 'kubelet' ? { host: 'kube-sim-node' } : {}) },
      reportingComponent: component,
      reportingInstance: component === 'kubelet' ? 'kube-sim-node' : '',
    });
  } catch {
    // best effort, as the event recorder is
  }
}
