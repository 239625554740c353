// Defaulting the apiserver applies after decode and before validation: ports of the SetDefaults_*
// functions in kubernetes pkg/apis/core/v1/defaults.go and pkg/apis/apps/v1/defaults.go, plus the
// registry strategies' PrepareForCreate (status reset, generation) and the admission plugins every
// cluster runs (ServiceAccount, DefaultStorageClass).
import { randomInt } from 'node:crypto';
import type { KObject, ResourceType } from '../store/types.js';

/** SetDefaults_PodSpec / SetDefaults_Container / SetDefaults_Probe / SetDefaults_Volume */
export function defaultPodSpec(spec: KObject): void {
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.securityContext ??= {};
  spec.enableServiceLinks ??= true;
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])] as KObject[]) {
    c.terminationMessagePath ??= '/dev/termination-log';
    c.terminationMessagePolicy ??= 'File';
    const image = String(c.image ?? '');
    c.imagePullPolicy ??= /:latest$/.test(image) || !/[:@][^/]*$/.test(image) ? 'Always' : 'IfNotPresent';
    for (const p of (c.ports ?? []) as KObject[]) p.protocol ??= 'TCP';
    c.resources ??= {};
    // SetDefaults_ResourceRequirements (in the Pod's defaulting): requests default to limits.
    if (c.resources.limits) c.resources.requests = { ...c.resources.limits, ...(c.resources.requests ?? {}) };
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
      const p = c[probe];
      if (!p) continue;
      p.timeoutSeconds ??= 1;
      p.periodSeconds ??= 10;
      p.successThreshold ??= 1;
      p.failureThreshold ??= 3;
    }
    for (const e of (c.env ?? []) as KObject[]) if (e.valueFrom?.fieldRef) e.valueFrom.fieldRef.apiVersion ??= 'v1';
  }
  for (const v of (spec.volumes ?? []) as KObject[]) {
    if (v.secret) v.secret.defaultMode ??= 0o644;
    if (v.configMap) v.configMap.defaultMode ??= 0o644;
  }
  if (!spec.serviceAccountName && spec.serviceAccount) spec.serviceAccountName = spec.serviceAccount;
}

function defaultTemplate(spec: KObject): void {
  spec.template ??= {};
  spec.template.metadata ??= {};
  spec.template.spec ??= {};
  defaultPodSpec(spec.template.spec);
}

/** Applies the kind's defaults in place (on create and on update, as the apiserver does). */
export function applyDefaults(type: ResourceType, obj: KObject): void {
  obj.metadata ??= {};
  switch (type.kind) {
    case 'Pod':
      obj.spec ??= {};
      defaultPodSpec(obj.spec);
      // ServiceAccount admission
      obj.spec.serviceAccountName ??= 'default';
      obj.spec.serviceAccount = obj.spec.serviceAccountName;
      obj.spec.priority ??= 0;
      obj.spec.tolerations ??= [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ];
      break;
    case 'Secret':
      if (obj.stringData) {
        // The stringData conversion (pkg/apis/core/v1/conversion.go): merged over data, then dropped.
        obj.data = { ...(obj.data ?? {}) };
        for (const [k, v] of Object.entries(obj.stringData as Record<string, string>)) obj.data[k] = Buffer.from(String(v)).toString('base64');
        delete obj.stringData;
      }
      obj.type ??= 'Opaque';
      break;
    case 'Service': {
      obj.spec ??= {};
      const s = obj.spec;
      s.type ??= 'ClusterIP';
      s.sessionAffinity ??= 'None';
      if (s.type !== 'ExternalName') {
        s.internalTrafficPolicy ??= 'Cluster';
        s.ipFamilyPolicy ??= 'SingleStack';
        s.ipFamilies ??= ['IPv4'];
        // ClusterIP allocation (the service registry's IP allocator)
        s.clusterIP ??= `10.96.${randomInt(0, 255)}.${randomInt(1, 255)}`;
        s.clusterIPs ??= [s.clusterIP];
      }
      for (const p of (s.ports ?? []) as KObject[]) {
        p.protocol ??= 'TCP';
        p.targetPort ??= p.port;
      }
      break;
    }
    case 'PersistentVolumeClaim':
      obj.spec ??= {};
      obj.spec.volumeMode ??= 'Filesystem';
      obj.spec.storageClassName ??= 'standard'; // DefaultStorageClass admission
      break;
    case 'Namespace':
      obj.spec ??= {};
      obj.spec.finalizers ??= ['kubernetes'];
      obj.metadata.labels = { ...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': obj.metadata.name };
      break;
    case 'Deployment': {
      obj.spec ??= {};
      const s = obj.spec;
      s.replicas ??= 1;
      s.strategy ??= {};
      s.strategy.type ??= 'RollingUpdate';
      if (s.strategy.type === 'RollingUpdate') {
        s.strategy.rollingUpdate ??= {};
        s.strategy.rollingUpdate.maxUnavailable ??= '25%';
        s.strategy.rollingUpdate.maxSurge ??= '25%';
      }
      s.revisionHistoryLimit ??= 10;
      s.progressDeadlineSeconds ??= 600;
      defaultTemplate(s);
      break;
    }
    case 'ReplicaSet':
      obj.spec ??= {};
      obj.spec.replicas ??= 1;
      defaultTemplate(obj.spec);
      break;
  }
}

/** The status a new object starts with (the strategies' PrepareForCreate reset it). */
export function initialStatus(type: ResourceType, obj: KObject): void {
  switch (type.kind) {
    case 'Pod':
      obj.status = { phase: 'Pending', qosClass: qosClassOf(obj.spec) };
      break;
    case 'Namespace':
      obj.status = { phase: 'Active' };
      break;
    case 'PersistentVolumeClaim':
      obj.status = { phase: 'Pending' };
      break;
    case 'Service':
      obj.status = { loadBalancer: {} };
      break;
    case 'Deployment':
    case 'ReplicaSet':
      obj.status = {};
      break;
    default:
      delete obj.status;
  }
}

/** GetPodQOS (pkg/apis/core/helper/qos). */
export function qosClassOf(spec: KObject | undefined): string {
  const resources = ((spec?.containers ?? []) as KObject[]).map((c) => c.resources ?? {});
  const guaranteed = resources.length > 0 && resources.every((r) => r.limits?.cpu && r.limits?.memory && r.requests?.cpu === r.limits.cpu && r.requests?.memory === r.limits.memory);
  if (guaranteed) return 'Guaranteed';
  return resources.some((r) => Object.keys(r.limits ?? {}).length || Object.keys(r.requests ?? {}).length) ? 'Burstable' : 'BestEffort';
}

/** Kinds whose metadata.generation tracks spec changes. */
export const HAS_GENERATION = new Set(['Deployment', 'ReplicaSet', 'Namespace']);
