// Validation of core/v1 kinds, ported rule by rule from kubernetes pkg/apis/core/validation/
// validation.go (function names cited beside each rule). Values arrive decoded and defaulted, as
// the real registry strategies see them.
import { parseQuantity } from '../apiserver/schema.js';
import type { KObject } from '../store/types.js';
import { duplicate, forbidden, invalid, notFound, notSupported, required, tooLong, type ErrorList } from './field.js';
import { configMapKey, dns1123Label, dns1123Subdomain, each, envVarName, inRange, portName, qualifiedName, validateLabels, validateObjectMeta } from './meta.js';

const MAX_INT32 = 2147483647;
const MAX_SECRET_SIZE = 1024 * 1024;
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

/** ValidateNonnegativeField */
function nonNegative(errs: ErrorList, field: string, value: unknown): void {
  if (typeof value === 'number' && value < 0) errs.push(invalid(field, value, 'must be greater than or equal to 0'));
}

// ---- Pod ----

/** validateVolumes: DNS-label names, unique, exactly one source, the source's own rules. */
function validateVolumes(volumes: KObject[], field: string): { errs: ErrorList; names: Set<string> } {
  const errs: ErrorList = [];
  const names = new Set<string>();
  volumes.forEach((v, i) => {
    const at = `${field}[${i}]`;
    if (!v.name) errs.push(required(`${at}.name`));
    else each(errs, `${at}.name`, v.name, dns1123Label(v.name));
    if (v.name && names.has(v.name)) errs.push(duplicate(`${at}.name`, v.name));
    names.add(v.name);
    const sources = Object.keys(v).filter((k) => k !== 'name');
    if (sources.length === 0) errs.push(required(at, 'must specify a volume type'));
    else if (sources.length > 1) errs.push(forbidden(`${at}.${sources[1]}`, 'may not specify more than 1 volume type'));
    if (v.secret && !v.secret.secretName) errs.push(required(`${at}.secret.secretName`));
    if (v.configMap && !v.configMap.name) errs.push(required(`${at}.configMap.name`));
    if (v.persistentVolumeClaim && !v.persistentVolumeClaim.claimName) errs.push(required(`${at}.persistentVolumeClaim.claimName`));
    for (const src of ['secret', 'configMap'] as const) {
      const mode = v[src]?.defaultMode;
      if (mode !== undefined && (mode < 0 || mode > 0o777)) errs.push(invalid(`${at}.${src}.defaultMode`, mode, 'must be a number between 0 and 0777 (octal), both inclusive'));
    }
    const size = v.emptyDir?.sizeLimit;
    if (size !== undefined) {
      const q = parseQuantity(size);
      if ('value' in q && q.value < 0) errs.push(invalid(`${at}.emptyDir.sizeLimit`, size, 'must be greater than or equal to 0'));
    }
  });
  return { errs, names };
}

const STANDARD_RESOURCES = ['cpu', 'memory', 'ephemeral-storage'];

/** ValidateResourceRequirements: names, non-negative quantities, requests <= limits. */
function validateResources(resources: KObject | undefined, field: string): ErrorList {
  const errs: ErrorList = [];
  if (!resources) return errs;
  const limits = (resources.limits ?? {}) as Record<string, string>;
  const requests = (resources.requests ?? {}) as Record<string, string>;
  for (const [kind, map] of [
    ['limits', limits],
    ['requests', requests],
  ] as const) {
    for (const [name, value] of Object.entries(map)) {
      const at = `${field}.${kind}[${name}]`;
      if (!STANDARD_RESOURCES.includes(name) && !name.startsWith('hugepages-') && !name.includes('/')) {
        errs.push(invalid(at, name, 'must be a standard resource for containers'));
        continue;
      }
      const q = parseQuantity(value);
      if ('value' in q && q.value < 0) errs.push(invalid(at, value, 'must be greater than or equal to 0'));
    }
  }
  for (const [name, request] of Object.entries(requests)) {
    const limit = limits[name];
    if (limit === undefined) continue;
    const r = parseQuantity(request);
    const l = parseQuantity(limit);
    if ('value' in r && 'value' in l && r.value > l.value) errs.push(invalid(`${field}.requests[${name}]`, request, `must be less than or equal to ${name} limit of ${limit}`));
  }
  return errs;
}

/** validateProbe / validateHandler: exactly one handler, non-negative timings, thresholds >= 1. */
function validateProbe(probe: KObject | undefined, field: string, liveness: boolean): ErrorList {
  const errs: ErrorList = [];
  if (!probe) return errs;
  const handlers = ['exec', 'httpGet', 'tcpSocket', 'grpc'].filter((h) => probe[h]);
  if (handlers.length === 0) errs.push(required(field, 'must specify a handler type'));
  if (handlers.length > 1) errs.push(forbidden(`${field}.${handlers[1]}`, 'may not specify more than 1 handler type'));
  if (probe.exec && !(probe.exec.command ?? []).length) errs.push(required(`${field}.exec.command`));
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) nonNegative(errs, `${field}.${f}`, probe[f]);
  if (liveness && probe.successThreshold !== undefined && probe.successThreshold !== 1) errs.push(invalid(`${field}.successThreshold`, probe.successThreshold, 'must be 1'));
  return errs;
}

/** ValidateSecurityContext: ranges and the privileged / allowPrivilegeEscalation combinations. */
function validateSecurityContext(sc: KObject | undefined, field: string): ErrorList {
  const errs: ErrorList = [];
  if (!sc) return errs;
  for (const f of ['runAsUser', 'runAsGroup']) {
    if (sc[f] !== undefined && (sc[f] < 0 || sc[f] > MAX_INT32)) errs.push(invalid(`${field}.${f}`, sc[f], inRange(0, MAX_INT32)));
  }
  if (sc.allowPrivilegeEscalation === false) {
    if (sc.privileged === true) errs.push(invalid(field, sc, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
    if (((sc.capabilities?.add ?? []) as string[]).includes('SYS_ADMIN') || ((sc.capabilities?.add ?? []) as string[]).includes('CAP_SYS_ADMIN')) {
      errs.push(invalid(field, sc, 'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN'));
    }
  }
  return errs;
}

/** validateContainers / validateInitContainers: names, images, ports, env, mounts, resources, probes. */
function validateContainers(containers: KObject[], field: string, volumes: Set<string>, allNames: Set<string>, init: boolean): ErrorList {
  const errs: ErrorList = [];
  containers.forEach((c, i) => {
    const at = `${field}[${i}]`;
    if (!c.name) errs.push(required(`${at}.name`));
    else each(errs, `${at}.name`, c.name, dns1123Label(c.name));
    if (c.name && allNames.has(c.name)) errs.push(duplicate(`${at}.name`, c.name));
    allNames.add(c.name);
    if (!c.image) errs.push(required(`${at}.image`));
    else if (c.image.trim() !== c.image) errs.push(invalid(`${at}.image`, c.image, 'must not have leading or trailing whitespace'));
    if (c.imagePullPolicy !== undefined && !['Always', 'IfNotPresent', 'Never'].includes(c.imagePullPolicy)) errs.push(notSupported(`${at}.imagePullPolicy`, c.imagePullPolicy, ['Always', 'IfNotPresent', 'Never']));
    if (c.terminationMessagePolicy !== undefined && !['File', 'FallbackToLogsOnError'].includes(c.terminationMessagePolicy)) {
      errs.push(notSupported(`${at}.terminationMessagePolicy`, c.terminationMessagePolicy, ['File', 'FallbackToLogsOnError']));
    }
    // validateContainerPorts
    const portNames = new Set<string>();
    ((c.ports ?? []) as KObject[]).forEach((p, j) => {
      const pat = `${at}.ports[${j}]`;
      if (p.name) {
        each(errs, `${pat}.name`, p.name, portName(p.name));
        if (portNames.has(p.name)) errs.push(duplicate(`${pat}.name`, p.name));
        portNames.add(p.name);
      }
      if (p.containerPort === undefined || p.containerPort === 0) errs.push(required(`${pat}.containerPort`));
      else if (p.containerPort < 1 || p.containerPort > 65535) errs.push(invalid(`${pat}.containerPort`, p.containerPort, inRange(1, 65535)));
      if (p.hostPort !== undefined && p.hostPort !== 0 && (p.hostPort < 1 || p.hostPort > 65535)) errs.push(invalid(`${pat}.hostPort`, p.hostPort, inRange(1, 65535)));
      if (p.protocol !== undefined && !PROTOCOLS.includes(p.protocol)) errs.push(notSupported(`${pat}.protocol`, p.protocol, PROTOCOLS));
    });
    // ValidateEnv
    ((c.env ?? []) as KObject[]).forEach((e, j) => {
      const eat = `${at}.env[${j}]`;
      if (!e.name) errs.push(required(`${eat}.name`));
      else each(errs, `${eat}.name`, e.name, envVarName(e.name));
      if (e.valueFrom) {
        const sources = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef', 'fileKeyRef'].filter((s) => e.valueFrom[s]);
        if (sources.length !== 1) errs.push(invalid(`${eat}.valueFrom`, '', 'may not have more than one field specified at a time'));
        if (e.value) errs.push(invalid(`${eat}.valueFrom`, '', 'may not be specified when `value` is not empty'));
        const ref = e.valueFrom.secretKeyRef ?? e.valueFrom.configMapKeyRef;
        if (ref) {
          const which = e.valueFrom.secretKeyRef ? 'secretKeyRef' : 'configMapKeyRef';
          if (!ref.key) errs.push(required(`${eat}.valueFrom.${which}.key`));
          else each(errs, `${eat}.valueFrom.${which}.key`, ref.key, configMapKey(ref.key));
        }
      }
    });
    // ValidateVolumeMounts
    const mountPaths = new Set<string>();
    ((c.volumeMounts ?? []) as KObject[]).forEach((m, j) => {
      const mat = `${at}.volumeMounts[${j}]`;
      if (!m.name) errs.push(required(`${mat}.name`));
      else if (!volumes.has(m.name)) errs.push(notFound(`${mat}.name`, m.name));
      if (!m.mountPath) errs.push(required(`${mat}.mountPath`));
      else if (mountPaths.has(m.mountPath)) errs.push(invalid(`${mat}.mountPath`, m.mountPath, 'must be unique'));
      mountPaths.add(m.mountPath);
      if (m.subPath && (m.subPath.startsWith('/') || m.subPath.split('/').includes('..'))) errs.push(invalid(`${mat}.subPath`, m.subPath, "must be a relative path without '..'"));
    });
    errs.push(...validateResources(c.resources, `${at}.resources`));
    errs.push(...validateSecurityContext(c.securityContext, `${at}.securityContext`));
    if (init) {
      // validateInitContainers: probes are forbidden on (non-sidecar) init containers
      for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
        if (c[probe] && c.restartPolicy !== 'Always') errs.push(forbidden(`${at}.${probe}`, `may not be set for init containers without restartPolicy=Always`));
      }
    } else {
      errs.push(...validateProbe(c.livenessProbe, `${at}.livenessProbe`, true));
      errs.push(...validateProbe(c.readinessProbe, `${at}.readinessProbe`, false));
      errs.push(...validateProbe(c.startupProbe, `${at}.startupProbe`, true));
    }
  });
  return errs;
}

/** ValidatePodSpec */
export function validatePodSpec(spec: KObject | undefined, field: string): ErrorList {
  const errs: ErrorList = [];
  const s = spec ?? {};
  const { errs: volErrs, names } = validateVolumes((s.volumes ?? []) as KObject[], `${field}.volumes`);
  errs.push(...volErrs);
  const containerNames = new Set<string>();
  errs.push(...validateContainers((s.initContainers ?? []) as KObject[], `${field}.initContainers`, names, containerNames, true));
  if (!(s.containers ?? []).length) errs.push(required(`${field}.containers`));
  errs.push(...validateContainers((s.containers ?? []) as KObject[], `${field}.containers`, names, containerNames, false));
  if (s.restartPolicy !== undefined && !['Always', 'OnFailure', 'Never'].includes(s.restartPolicy)) errs.push(notSupported(`${field}.restartPolicy`, s.restartPolicy, ['Always', 'OnFailure', 'Never']));
  if (s.dnsPolicy !== undefined && !['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'].includes(s.dnsPolicy)) {
    errs.push(notSupported(`${field}.dnsPolicy`, s.dnsPolicy, ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None']));
  }
  if (s.activeDeadlineSeconds !== undefined && (s.activeDeadlineSeconds < 1 || s.activeDeadlineSeconds > MAX_INT32)) {
    errs.push(invalid(`${field}.activeDeadlineSeconds`, s.activeDeadlineSeconds, inRange(1, MAX_INT32)));
  }
  if (s.serviceAccountName) each(errs, `${field}.serviceAccountName`, s.serviceAccountName, dns1123Subdomain(s.serviceAccountName));
  errs.push(...validateLabels(s.nodeSelector, `${field}.nodeSelector`));
  ((s.imagePullSecrets ?? []) as KObject[]).forEach((r, i) => {
    if (!r.name) errs.push(required(`${field}.imagePullSecrets[${i}].name`));
  });
  const psc = s.securityContext ?? {};
  for (const f of ['runAsUser', 'runAsGroup', 'fsGroup']) {
    if (psc[f] !== undefined && (psc[f] < 0 || psc[f] > MAX_INT32)) errs.push(invalid(`${field}.securityContext.${f}`, psc[f], inRange(0, MAX_INT32)));
  }
  return errs;
}

export function validatePod(pod: KObject): ErrorList {
  return [...validateObjectMeta(pod.metadata, { namespaced: true, nameFormat: 'subdomain' }), ...validatePodSpec(pod.spec, 'spec')];
}

/** ValidatePodUpdate: only images, activeDeadlineSeconds (lowered), tolerations (added) may change. */
export function validatePodUpdate(next: KObject, old: KObject): ErrorList {
  const errs = validatePod(next);
  const spec = next.spec ?? {};
  const prev = old.spec ?? {};
  const ads = spec.activeDeadlineSeconds;
  if (ads !== undefined) {
    if (prev.activeDeadlineSeconds !== undefined && prev.activeDeadlineSeconds < ads) errs.push(invalid('spec.activeDeadlineSeconds', ads, 'must be less than or equal to previous value'));
  } else if (prev.activeDeadlineSeconds !== undefined) {
    errs.push(invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
  }
  const mutable = (s: KObject): string =>
    JSON.stringify({
      ...s,
      containers: (s.containers ?? []).map((c: KObject) => ({ ...c, image: '' })),
      initContainers: (s.initContainers ?? []).map((c: KObject) => ({ ...c, image: '' })),
      activeDeadlineSeconds: 0,
      tolerations: [],
      terminationGracePeriodSeconds: 0,
    });
  if (mutable(spec) !== mutable(prev)) {
    errs.push(
      forbidden(
        'spec',
        'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
      ),
    );
  }
  const oldTolerations = JSON.stringify(prev.tolerations ?? []);
  const kept = JSON.stringify((spec.tolerations ?? []).slice(0, (prev.tolerations ?? []).length));
  if (kept !== oldTolerations) errs.push(forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds'));
  return errs;
}

// ---- Secret and ConfigMap ----

/** ValidateSecret: data keys, total size, and the per-type required keys. */
export function validateSecret(secret: KObject): ErrorList {
  const errs = validateObjectMeta(secret.metadata, { namespaced: true, nameFormat: 'subdomain' });
  const data = (secret.data ?? {}) as Record<string, string>;
  let size = 0;
  for (const [k, v] of Object.entries(data)) {
    each(errs, 'data', k, configMapKey(k));
    size += Buffer.from(v, 'base64').length;
  }
  if (size > MAX_SECRET_SIZE) errs.push(tooLong('data', MAX_SECRET_SIZE));
  const decoded = (k: string): string | undefined => (data[k] === undefined ? undefined : Buffer.from(data[k]!, 'base64').toString('utf8'));
  switch (secret.type) {
    case 'kubernetes.io/service-account-token':
      if (!secret.metadata?.annotations?.['kubernetes.io/service-account.name']) errs.push(required('metadata.annotations[kubernetes.io/service-account.name]'));
      break;
    case 'kubernetes.io/dockercfg':
      if (data['.dockercfg'] === undefined) errs.push(required('data[.dockercfg]'));
      break;
    case 'kubernetes.io/dockerconfigjson': {
      const raw = decoded('.dockerconfigjson');
      if (raw === undefined) errs.push(required('data[.dockerconfigjson]'));
      else {
        try {
          JSON.parse(raw);
        } catch (err) {
          errs.push(invalid('data[.dockerconfigjson]', '<secret contents redacted>', (err as Error).message));
        }
      }
      break;
    }
    case 'kubernetes.io/basic-auth':
      if (data.username === undefined && data.password === undefined) errs.push(required('data[username]'));
      break;
    case 'kubernetes.io/ssh-auth':
      if (data['ssh-privatekey'] === undefined) errs.push(required('data[ssh-privatekey]'));
      break;
    case 'kubernetes.io/tls':
      if (data['tls.key'] === undefined) errs.push(required('data[tls.key]'));
      if (data['tls.crt'] === undefined) errs.push(required('data[tls.crt]'));
      break;
    default:
      if (secret.type !== undefined) each(errs, 'type', secret.type, qualifiedName(secret.type));
  }
  return errs;
}

/** ValidateSecretUpdate: type immutable; an immutable Secret's data and immutability are fixed. */
export function validateSecretUpdate(next: KObject, old: KObject): ErrorList {
  const errs = validateSecret(next);
  if (next.type !== old.type) errs.push(invalid('type', next.type, 'field is immutable'));
  errs.push(...immutableData(next, old, ['data']));
  return errs;
}

function immutableData(next: KObject, old: KObject, fields: string[]): ErrorList {
  const errs: ErrorList = [];
  if (old.immutable === true) {
    if (next.immutable !== true) errs.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
    for (const f of fields) if (JSON.stringify(next[f] ?? {}) !== JSON.stringify(old[f] ?? {})) errs.push(forbidden(f, 'field is immutable when `immutable` is set'));
  }
  return errs;
}

/** ValidateConfigMap: keys valid and not in both data and binaryData; total size. */
export function validateConfigMap(cm: KObject): ErrorList {
  const errs = validateObjectMeta(cm.metadata, { namespaced: true, nameFormat: 'subdomain' });
  let size = 0;
  for (const [k, v] of Object.entries((cm.data ?? {}) as Record<string, string>)) {
    each(errs, 'data', k, configMapKey(k));
    size += v.length;
  }
  for (const [k, v] of Object.entries((cm.binaryData ?? {}) as Record<string, string>)) {
    each(errs, 'binaryData', k, configMapKey(k));
    if (cm.data && k in cm.data) errs.push(invalid('data', k, 'duplicate of key present in binaryData'));
    size += Buffer.from(v, 'base64').length;
  }
  if (size > MAX_SECRET_SIZE) errs.push(tooLong('', MAX_SECRET_SIZE));
  return errs;
}

export function validateConfigMapUpdate(next: KObject, old: KObject): ErrorList {
  return [...validateConfigMap(next), ...immutableData(next, old, ['data', 'binaryData'])];
}

// ---- Service ----

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];

/** ValidateService: type, ports (required, ranges, names unique and required when >1), selector. */
export function validateService(svc: KObject): ErrorList {
  const errs = validateObjectMeta(svc.metadata, { namespaced: true, nameFormat: 'label' });
  const spec = svc.spec ?? {};
  if (!SERVICE_TYPES.includes(spec.type)) errs.push(notSupported('spec.type', spec.type, SERVICE_TYPES));
  const ports = (spec.ports ?? []) as KObject[];
  if (spec.type !== 'ExternalName' && ports.length === 0 && spec.clusterIP !== 'None') errs.push(required('spec.ports'));
  if (spec.type === 'ExternalName' && !spec.externalName) errs.push(required('spec.externalName'));
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const at = `spec.ports[${i}]`;
    if (ports.length > 1 && !p.name) errs.push(required(`${at}.name`));
    if (p.name) {
      each(errs, `${at}.name`, p.name, dns1123Label(p.name));
      if (names.has(p.name)) errs.push(duplicate(`${at}.name`, p.name));
      names.add(p.name);
    }
    if (p.port === undefined || p.port < 1 || p.port > 65535) errs.push(invalid(`${at}.port`, p.port ?? 0, inRange(1, 65535)));
    if (!PROTOCOLS.includes(p.protocol)) errs.push(notSupported(`${at}.protocol`, p.protocol, PROTOCOLS));
    const tp = p.targetPort;
    if (typeof tp === 'number' && (tp < 1 || tp > 65535)) errs.push(invalid(`${at}.targetPort`, tp, inRange(1, 65535)));
    if (typeof tp === 'string') each(errs, `${at}.targetPort`, tp, portName(tp));
    if (p.nodePort !== undefined && spec.type !== 'NodePort' && spec.type !== 'LoadBalancer') errs.push(forbidden(`${at}.nodePort`, "may not be used when `type` is 'ClusterIP'"));
  });
  errs.push(...validateLabels(spec.selector, 'spec.selector'));
  if (spec.sessionAffinity !== undefined && !['ClientIP', 'None'].includes(spec.sessionAffinity)) errs.push(notSupported('spec.sessionAffinity', spec.sessionAffinity, ['ClientIP', 'None']));
  return errs;
}

/** ValidateServiceUpdate: clusterIP is immutable (unless changing to/from ExternalName). */
export function validateServiceUpdate(next: KObject, old: KObject): ErrorList {
  const errs = validateService(next);
  if (old.spec?.type !== 'ExternalName' && next.spec?.type !== 'ExternalName' && next.spec?.clusterIP !== old.spec?.clusterIP) {
    errs.push(invalid('spec.clusterIP', next.spec?.clusterIP ?? '', 'field is immutable'));
  }
  return errs;
}

// ---- PersistentVolumeClaim ----

const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];

/** ValidatePersistentVolumeClaimSpec: access modes, a positive storage request, volumeMode. */
export function validatePersistentVolumeClaim(pvc: KObject): ErrorList {
  const errs = validateObjectMeta(pvc.metadata, { namespaced: true, nameFormat: 'subdomain' });
  const spec = pvc.spec ?? {};
  const modes = (spec.accessModes ?? []) as string[];
  if (modes.length === 0) errs.push(required('spec.accessModes', 'at least 1 access mode is required'));
  for (const m of modes) if (!ACCESS_MODES.includes(m)) errs.push(notSupported('spec.accessModes', m, ACCESS_MODES));
  if (modes.includes('ReadWriteOncePod') && modes.length > 1) errs.push(forbidden('spec.accessModes', 'may not use ReadWriteOncePod with other access modes'));
  const storage = spec.resources?.requests?.storage;
  if (storage === undefined) errs.push(required('spec.resources[storage]'));
  else {
    const q = parseQuantity(storage);
    if ('value' in q && q.value <= 0) errs.push(invalid('spec.resources[storage]', storage, 'must be greater than zero'));
  }
  if (spec.volumeMode !== undefined && !['Block', 'Filesystem'].includes(spec.volumeMode)) errs.push(notSupported('spec.volumeMode', spec.volumeMode, ['Block', 'Filesystem']));
  if (spec.storageClassName) each(errs, 'spec.storageClassName', spec.storageClassName, dns1123Subdomain(spec.storageClassName));
  return errs;
}

/** ValidatePersistentVolumeClaimUpdate: the spec is immutable but for growing the storage request. */
export function validatePersistentVolumeClaimUpdate(next: KObject, old: KObject): ErrorList {
  const errs = validatePersistentVolumeClaim(next);
  const strip = (s: KObject | undefined): string => JSON.stringify({ ...(s ?? {}), resources: { ...(s?.resources ?? {}), requests: {} }, volumeName: '' });
  if (strip(next.spec) !== strip(old.spec)) {
    errs.push(forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
  }
  const grew = parseQuantity(next.spec?.resources?.requests?.storage);
  const was = parseQuantity(old.spec?.resources?.requests?.storage);
  if ('value' in grew && 'value' in was && grew.value !== was.value) {
    if (old.status?.phase !== 'Bound') errs.push(forbidden('spec.resources.requests.storage', 'only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize'));
    else if (grew.value < was.value) errs.push(forbidden('spec.resources.requests.storage', 'field can not be less than status.capacity'));
  }
  return errs;
}

// ---- Namespace ----

/** ValidateNamespace: DNS-label name, qualified finalizer names. */
export function validateNamespace(ns: KObject): ErrorList {
  const errs = validateObjectMeta(ns.metadata, { namespaced: false, nameFormat: 'label' });
  ((ns.spec?.finalizers ?? []) as string[]).forEach((f, i) => each(errs, `spec.finalizers[${i}]`, f, qualifiedName(f)));
  return errs;
}

export function validateServiceAccount(sa: KObject): ErrorList {
  return validateObjectMeta(sa.metadata, { namespaced: true, nameFormat: 'subdomain' });
}

export function validateEvent(ev: KObject): ErrorList {
  const errs = validateObjectMeta(ev.metadata, { namespaced: true, nameFormat: 'subdomain' });
  if (!ev.involvedObject) errs.push(required('involvedObject'));
  return errs;
}
