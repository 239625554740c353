// Each validation rule the simulator enforces, with the object a real API server rejects, the
// field path and message it answers with, and the function in kubernetes/kubernetes that holds
// the rule (pkg/apis/core/validation/validation.go unless noted; apps = pkg/apis/apps/validation,
// meta = staging/src/k8s.io/apimachinery/pkg/api/validation and pkg/util/validation).
// Objects are defaulted first, as the registry does before validating.
import { describe, expect, test } from '@jest/globals';
import { applyDefaults } from '../apiserver/defaults.js';
import { resourceByKind, type KObject } from '../store/types.js';
import { causesForCreate, causesForUpdate } from './validate.js';

const container = (extra: KObject = {}): KObject => ({ name: 'main', image: 'registry.local/app:1', ...extra });
const pod = (spec: KObject = {}, meta: KObject = {}): KObject => ({ metadata: { name: 'p', namespace: 'ns', ...meta }, spec: { containers: [container()], ...spec } });
const deployment = (spec: KObject = {}): KObject => ({
  metadata: { name: 'd', namespace: 'ns' },
  spec: { selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'a' } }, spec: { containers: [container()] } }, ...spec },
});
const replicaSet = (spec: KObject = {}): KObject => ({ ...deployment(spec), metadata: { name: 'r', namespace: 'ns' } });
const secret = (extra: KObject = {}): KObject => ({ metadata: { name: 's', namespace: 'ns' }, ...extra });
const configMap = (extra: KObject = {}): KObject => ({ metadata: { name: 'c', namespace: 'ns' }, ...extra });
const service = (spec: KObject = {}): KObject => ({ metadata: { name: 'svc', namespace: 'ns' }, spec: { ports: [{ port: 80 }], ...spec } });
const pvc = (spec: KObject = {}): KObject => ({ metadata: { name: 'data', namespace: 'ns' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec } });

function causes(kind: string, obj: KObject): { field?: string; message: string }[] {
  const type = resourceByKind(kind);
  const o = structuredClone(obj);
  applyDefaults(type, o);
  return causesForCreate(type, o).map(({ field, message }) => ({ field, message }));
}

function updateCauses(kind: string, old: KObject, change: (o: KObject) => void): { field?: string; message: string }[] {
  const type = resourceByKind(kind);
  const before = structuredClone(old);
  applyDefaults(type, before);
  const after = structuredClone(before);
  change(after);
  return causesForUpdate(type, after, before).map(({ field, message }) => ({ field, message }));
}

describe('valid objects pass', () => {
  test.each([
    ['Pod', pod()],
    ['Deployment', deployment()],
    ['ReplicaSet', replicaSet()],
    ['Secret', secret({ stringData: { a: 'b' } })],
    ['ConfigMap', configMap({ data: { a: 'b' } })],
    ['Service', service()],
    ['PersistentVolumeClaim', pvc()],
    ['Namespace', { metadata: { name: 'team-a' } }],
    ['SelfSubjectAccessReview', { metadata: {}, spec: { resourceAttributes: { verb: 'get', resource: 'pods' } } }],
  ])('%s', (kind, obj) => {
    expect(causes(kind, obj)).toEqual([]);
  });
});

// [rule (Go function), kind, object, field, message (prefix)]
const CREATE_RULES: [string, string, KObject, string, string][] = [
  ['meta ValidateObjectMeta: name required', 'Secret', { metadata: { namespace: 'ns' } }, 'metadata.name', 'Required value: name or generateName is required'],
  ['meta NameIsDNSSubdomain', 'Secret', secret({ metadata: { name: 'Not_Valid', namespace: 'ns' } }), 'metadata.name', 'Invalid value: "Not_Valid": a lowercase RFC 1123 subdomain'],
  ['ValidateNamespaceName (DNS label)', 'Namespace', { metadata: { name: 'a.b' } }, 'metadata.name', 'Invalid value: "a.b": a lowercase RFC 1123 label'],
  ['ValidateServiceName (DNS label)', 'Service', { ...service(), metadata: { name: 'svc.x', namespace: 'ns' } }, 'metadata.name', 'Invalid value: "svc.x": a lowercase RFC 1123 label'],
  [
    'meta ValidateLabels: key is a qualified name',
    'Secret',
    secret({ metadata: { name: 's', namespace: 'ns', labels: { 'bad key!': 'v' } } }),
    'metadata.labels',
    'Invalid value: "bad key!": name part must consist of alphanumeric characters',
  ],
  ['meta ValidateLabels: value', 'Secret', secret({ metadata: { name: 's', namespace: 'ns', labels: { k: '-x' } } }), 'metadata.labels', 'Invalid value: "-x": a valid label must be an empty string'],
  [
    'meta validateOwnerReference: uid required',
    'Secret',
    secret({ metadata: { name: 's', namespace: 'ns', ownerReferences: [{ apiVersion: 'v1', kind: 'Secret', name: 'o' }] } }),
    'metadata.ownerReferences[0].uid',
    'Invalid value: "": uid must not be empty',
  ],
  ['ValidatePodSpec: containers required', 'Pod', pod({ containers: [] }), 'spec.containers', 'Required value'],
  ['validateContainers: name required', 'Pod', pod({ containers: [{ image: 'x' }] }), 'spec.containers[0].name', 'Required value'],
  ['validateContainers: image required', 'Pod', pod({ containers: [{ name: 'main' }] }), 'spec.containers[0].image', 'Required value'],
  ['validateContainers: name is a DNS label', 'Pod', pod({ containers: [container({ name: 'Main' })] }), 'spec.containers[0].name', 'Invalid value: "Main": a lowercase RFC 1123 label'],
  ['validateContainers: unique names across init and app containers', 'Pod', pod({ initContainers: [container()], containers: [container()] }), 'spec.containers[0].name', 'Duplicate value: "main"'],
  ['validateContainerPorts: containerPort range', 'Pod', pod({ containers: [container({ ports: [{ containerPort: 70000 }] })] }), 'spec.containers[0].ports[0].containerPort', 'Invalid value: 70000: must be between 1 and 65535, inclusive'],
  [
    'validateContainerPorts: protocol',
    'Pod',
    pod({ containers: [container({ ports: [{ containerPort: 80, protocol: 'HTTP' }] })] }),
    'spec.containers[0].ports[0].protocol',
    'Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
  ],
  [
    'validateContainerPorts: port name is an IANA_SVC_NAME',
    'Pod',
    pod({ containers: [container({ ports: [{ containerPort: 80, name: 'http_port' }] })] }),
    'spec.containers[0].ports[0].name',
    'Invalid value: "http_port": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
  ],
  ['ValidateEnv: name', 'Pod', pod({ containers: [container({ env: [{ name: '1ABC', value: 'x' }] })] }), 'spec.containers[0].env[0].name', 'Invalid value: "1ABC": a valid environment variable name'],
  [
    'validateEnvVarValueFrom: one source',
    'Pod',
    pod({ containers: [container({ env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 's', key: 'k' }, configMapKeyRef: { name: 'c', key: 'k' } } }] })] }),
    'spec.containers[0].env[0].valueFrom',
    'Invalid value: "": may not have more than one field specified at a time',
  ],
  [
    'validateVolumes: unique names',
    'Pod',
    pod({
      volumes: [
        { name: 'v', emptyDir: {} },
        { name: 'v', emptyDir: {} },
      ],
    }),
    'spec.volumes[1].name',
    'Duplicate value: "v"',
  ],
  ['validateVolumeSource: exactly one type', 'Pod', pod({ volumes: [{ name: 'v' }] }), 'spec.volumes[0]', 'Required value: must specify a volume type'],
  ['ValidateVolumeMounts: volume exists', 'Pod', pod({ containers: [container({ volumeMounts: [{ name: 'nope', mountPath: '/x' }] })] }), 'spec.containers[0].volumeMounts[0].name', 'Not found: "nope"'],
  [
    'ValidateVolumeMounts: mountPath unique',
    'Pod',
    pod({
      volumes: [
        { name: 'v', emptyDir: {} },
        { name: 'w', emptyDir: {} },
      ],
      containers: [
        container({
          volumeMounts: [
            { name: 'v', mountPath: '/x' },
            { name: 'w', mountPath: '/x' },
          ],
        }),
      ],
    }),
    'spec.containers[0].volumeMounts[1].mountPath',
    'Invalid value: "/x": must be unique',
  ],
  ['ValidateResourceRequirements: non-negative', 'Pod', pod({ containers: [container({ resources: { requests: { cpu: '-1' } } })] }), 'spec.containers[0].resources.requests[cpu]', 'Invalid value: "-1": must be greater than or equal to 0'],
  [
    'ValidateResourceRequirements: requests <= limits',
    'Pod',
    pod({ containers: [container({ resources: { limits: { cpu: '1' }, requests: { cpu: '2' } } })] }),
    'spec.containers[0].resources.requests[cpu]',
    'Invalid value: "2": must be less than or equal to cpu limit of 1',
  ],
  [
    'validateContainerResourceName: standard names',
    'Pod',
    pod({ containers: [container({ resources: { limits: { gpu: '1' } } })] }),
    'spec.containers[0].resources.limits[gpu]',
    'Invalid value: "gpu": must be a standard resource for containers',
  ],
  [
    'ValidateSecurityContext: privileged vs allowPrivilegeEscalation',
    'Pod',
    pod({ containers: [container({ securityContext: { privileged: true, allowPrivilegeEscalation: false } })] }),
    'spec.containers[0].securityContext',
    'Invalid value: {"privileged":true,"allowPrivilegeEscalation":false}: cannot set `allowPrivilegeEscalation` to false and `privileged` to true',
  ],
  [
    'ValidateSecurityContext: CAP_SYS_ADMIN vs allowPrivilegeEscalation',
    'Pod',
    pod({ containers: [container({ securityContext: { allowPrivilegeEscalation: false, capabilities: { add: ['SYS_ADMIN'] } } })] }),
    'spec.containers[0].securityContext',
    'Invalid value:',
  ],
  [
    'ValidateSecurityContext: runAsUser range',
    'Pod',
    pod({ containers: [container({ securityContext: { runAsUser: -1 } })] }),
    'spec.containers[0].securityContext.runAsUser',
    'Invalid value: -1: must be between 0 and 2147483647, inclusive',
  ],
  ['ValidatePodSpec: activeDeadlineSeconds >= 1', 'Pod', pod({ activeDeadlineSeconds: 0 }), 'spec.activeDeadlineSeconds', 'Invalid value: 0: must be between 1 and 2147483647, inclusive'],
  ['validateRestartPolicy', 'Pod', pod({ restartPolicy: 'Sometimes' }), 'spec.restartPolicy', 'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'],
  ['validateDNSPolicy', 'Pod', pod({ dnsPolicy: 'Google' }), 'spec.dnsPolicy', 'Unsupported value: "Google"'],
  ['validateProbe: one handler', 'Pod', pod({ containers: [container({ readinessProbe: { periodSeconds: 1 } })] }), 'spec.containers[0].readinessProbe', 'Required value: must specify a handler type'],
  [
    'validateProbe: liveness successThreshold is 1',
    'Pod',
    pod({ containers: [container({ livenessProbe: { exec: { command: ['true'] }, successThreshold: 2 } })] }),
    'spec.containers[0].livenessProbe.successThreshold',
    'Invalid value: 2: must be 1',
  ],
  [
    'validateInitContainers: no probes on init containers',
    'Pod',
    pod({ initContainers: [container({ name: 'init', readinessProbe: { exec: { command: ['true'] } } })] }),
    'spec.initContainers[0].readinessProbe',
    'Forbidden: may not be set for init containers without restartPolicy=Always',
  ],
  ['validateImagePullSecrets: name required', 'Pod', pod({ imagePullSecrets: [{}] }), 'spec.imagePullSecrets[0].name', 'Required value'],
  ['ValidateSecret: data keys', 'Secret', secret({ data: { 'bad/key': 'eA==' } }), 'data', 'Invalid value: "bad/key": a valid config key must consist of alphanumeric characters'],
  ['ValidateSecret: dockerconfigjson key required', 'Secret', secret({ type: 'kubernetes.io/dockerconfigjson', data: {} }), 'data[.dockerconfigjson]', 'Required value'],
  [
    'ValidateSecret: dockerconfigjson is JSON',
    'Secret',
    secret({ type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': Buffer.from('{nope').toString('base64') } }),
    'data[.dockerconfigjson]',
    'Invalid value: "<secret contents redacted>":',
  ],
  ['ValidateSecret: tls keys required', 'Secret', secret({ type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==' } }), 'data[tls.key]', 'Required value'],
  ['ValidateSecret: total size <= 1 MiB', 'Secret', secret({ data: { big: Buffer.alloc(1024 * 1024 + 1).toString('base64') } }), 'data', 'Too long: may not be more than 1048576 bytes'],
  ['ValidateConfigMap: key in data and binaryData', 'ConfigMap', configMap({ data: { a: 'x' }, binaryData: { a: 'eA==' } }), 'data', 'Invalid value: "a": duplicate of key present in binaryData'],
  ['ValidateService: ports required', 'Service', service({ ports: [] }), 'spec.ports', 'Required value'],
  ['ValidateService: port range', 'Service', service({ ports: [{ port: 0 }] }), 'spec.ports[0].port', 'Invalid value: 0: must be between 1 and 65535, inclusive'],
  ['ValidateService: names required with several ports', 'Service', service({ ports: [{ port: 80 }, { port: 81, name: 'b' }] }), 'spec.ports[0].name', 'Required value'],
  ['ValidateService: type', 'Service', service({ type: 'Magic' }), 'spec.type', 'Unsupported value: "Magic"'],
  ['ValidatePersistentVolumeClaimSpec: access modes', 'PersistentVolumeClaim', pvc({ accessModes: [] }), 'spec.accessModes', 'Required value: at least 1 access mode is required'],
  ['ValidatePersistentVolumeClaimSpec: supported access modes', 'PersistentVolumeClaim', pvc({ accessModes: ['ReadWriteSometimes'] }), 'spec.accessModes', 'Unsupported value: "ReadWriteSometimes"'],
  ['ValidatePersistentVolumeClaimSpec: storage request required', 'PersistentVolumeClaim', pvc({ resources: {} }), 'spec.resources[storage]', 'Required value'],
  ['ValidatePersistentVolumeClaimSpec: storage request > 0', 'PersistentVolumeClaim', pvc({ resources: { requests: { storage: '0' } } }), 'spec.resources[storage]', 'Invalid value: "0": must be greater than zero'],
  ['apps ValidateDeploymentSpec: selector required', 'Deployment', deployment({ selector: undefined }), 'spec.selector', 'Required value'],
  ['apps ValidateDeploymentSpec: empty selector', 'Deployment', deployment({ selector: {} }), 'spec.selector', 'Invalid value: {}: empty selector is invalid for deployment'],
  [
    'apps ValidatePodTemplateSpecForReplicaSet: selector matches template labels',
    'Deployment',
    deployment({ selector: { matchLabels: { app: 'b' } } }),
    'spec.template.metadata.labels',
    'Invalid value: {"app":"a"}: `selector` does not match template `labels`',
  ],
  [
    'apps ValidatePodTemplateSpecForReplicaSet: restartPolicy Always',
    'Deployment',
    (() => {
      const d = deployment();
      d.spec.template.spec.restartPolicy = 'Never';
      return d;
    })(),
    'spec.template.spec.restartPolicy',
    'Unsupported value: "Never": supported values: "Always"',
  ],
  [
    'apps ValidatePodTemplateSpecForReplicaSet: no activeDeadlineSeconds',
    'Deployment',
    (() => {
      const d = deployment();
      d.spec.template.spec.activeDeadlineSeconds = 5;
      return d;
    })(),
    'spec.template.spec.activeDeadlineSeconds',
    'Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported',
  ],
  ['apps ValidateDeploymentSpec: replicas >= 0', 'Deployment', deployment({ replicas: -1 }), 'spec.replicas', 'Invalid value: -1: must be greater than or equal to 0'],
  [
    'apps ValidateRollingUpdateDeployment: both zero',
    'Deployment',
    deployment({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } }),
    'spec.strategy.rollingUpdate.maxUnavailable',
    'Invalid value: 0: may not be 0 when `maxSurge` is 0',
  ],
  [
    'apps ValidateRollingUpdateDeployment: percent <= 100%',
    'Deployment',
    deployment({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '150%' } } }),
    'spec.strategy.rollingUpdate.maxSurge',
    'Invalid value: "150%": must not be greater than 100%',
  ],
  [
    'apps ValidateDeploymentStrategy: no rollingUpdate with Recreate',
    'Deployment',
    deployment({ strategy: { type: 'Recreate', rollingUpdate: { maxSurge: 1 } } }),
    'spec.strategy.rollingUpdate',
    "Forbidden: may not be specified when strategy `type` is 'Recreate'",
  ],
  [
    'apps ValidateDeploymentSpec: progressDeadlineSeconds > minReadySeconds',
    'Deployment',
    deployment({ minReadySeconds: 30, progressDeadlineSeconds: 10 }),
    'spec.progressDeadlineSeconds',
    'Invalid value: 10: must be greater than minReadySeconds',
  ],
  ['apps ValidateReplicaSetSpec: selector matches template', 'ReplicaSet', replicaSet({ selector: { matchLabels: { app: 'z' } } }), 'spec.template.metadata.labels', 'Invalid value: {"app":"a"}: `selector` does not match template `labels`'],
  [
    'authorization ValidateSelfSubjectAccessReviewSpec: exactly one attribute set',
    'SelfSubjectAccessReview',
    { metadata: {}, spec: {} },
    'spec.resourceAttributes',
    'Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified',
  ],
];

describe('create rules', () => {
  test.each(CREATE_RULES)('%s', (_rule, kind, obj, field, message) => {
    expect(causes(kind, obj)).toEqual(expect.arrayContaining([{ field, message: expect.stringContaining(message) }]));
  });
});

// [rule, kind, old object, change, field, message]
const UPDATE_RULES: [string, string, KObject, (o: KObject) => void, string, string][] = [
  [
    'ValidatePodUpdate: activeDeadlineSeconds may only be lowered',
    'Pod',
    pod({ activeDeadlineSeconds: 10 }),
    (o) => (o.spec.activeDeadlineSeconds = 20),
    'spec.activeDeadlineSeconds',
    'Invalid value: 20: must be less than or equal to previous value',
  ],
  [
    'ValidatePodUpdate: activeDeadlineSeconds cannot be unset',
    'Pod',
    pod({ activeDeadlineSeconds: 10 }),
    (o) => delete o.spec.activeDeadlineSeconds,
    'spec.activeDeadlineSeconds',
    'Invalid value: null: must not update from a positive integer to nil value',
  ],
  ['ValidatePodUpdate: only images and a few fields change', 'Pod', pod(), (o) => (o.spec.containers[0].command = ['sh']), 'spec', 'Forbidden: pod updates may not change fields other than `spec.containers[*].image`'],
  ['meta ValidateObjectMetaUpdate: uid immutable', 'Secret', { ...secret(), metadata: { name: 's', namespace: 'ns', uid: 'a' } }, (o) => (o.metadata.uid = 'b'), 'metadata.uid', 'Invalid value: "b": field is immutable'],
  ['ValidateSecretUpdate: type immutable', 'Secret', secret({ type: 'Opaque' }), (o) => (o.type = 'kubernetes.io/basic-auth'), 'type', 'field is immutable'],
  ['ValidateSecretUpdate: immutable data', 'Secret', secret({ immutable: true, data: { a: 'eA==' } }), (o) => (o.data = { a: 'eQ==' }), 'data', 'Forbidden: field is immutable when `immutable` is set'],
  ['ValidateConfigMapUpdate: immutable stays immutable', 'ConfigMap', configMap({ immutable: true }), (o) => (o.immutable = false), 'immutable', 'Forbidden: field is immutable when `immutable` is set'],
  ['ValidateServiceUpdate: clusterIP immutable', 'Service', service({ clusterIP: '10.96.0.10' }), (o) => (o.spec.clusterIP = '10.96.0.11'), 'spec.clusterIP', 'Invalid value: "10.96.0.11": field is immutable'],
  ['ValidatePersistentVolumeClaimUpdate: spec immutable', 'PersistentVolumeClaim', pvc(), (o) => (o.spec.accessModes = ['ReadWriteMany']), 'spec', 'Forbidden: spec is immutable after creation'],
  [
    'apps ValidateDeploymentUpdate: selector immutable',
    'Deployment',
    deployment(),
    (o) => {
      o.spec.selector = { matchLabels: { app: 'b' } };
      o.spec.template.metadata.labels = { app: 'b' };
    },
    'spec.selector',
    'field is immutable',
  ],
  [
    'apps ValidateReplicaSetUpdate: selector immutable',
    'ReplicaSet',
    replicaSet(),
    (o) => {
      o.spec.selector = { matchLabels: { app: 'b' } };
      o.spec.template.metadata.labels = { app: 'b' };
    },
    'spec.selector',
    'field is immutable',
  ],
];

describe('update rules', () => {
  test.each(UPDATE_RULES)('%s', (_rule, kind, old, change, field, message) => {
    expect(updateCauses(kind, old, change)).toEqual(expect.arrayContaining([{ field, message: expect.stringContaining(message) }]));
  });
});
