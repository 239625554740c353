// Validation dispatch: the registry strategy's Validate / ValidateUpdate for each kind. Throws the
// 422 Invalid a real apiserver returns, with details.causes carrying every field path.
import type { KObject, ResourceType } from '../store/types.js';
import { invalidError, type ErrorList } from './field.js';
import { validateObjectMetaUpdate } from './meta.js';
import {
  validateConfigMap,
  validateConfigMapUpdate,
  validateEvent,
  validateNamespace,
  validatePersistentVolumeClaim,
  validatePersistentVolumeClaimUpdate,
  validatePod,
  validatePodUpdate,
  validateSecret,
  validateSecretUpdate,
  validateService,
  validateServiceAccount,
  validateServiceUpdate,
} from './core.js';
import { validateDeployment, validateDeploymentUpdate, validateReplicaSet, validateReplicaSetUpdate, validateSelfSubjectAccessReview } from './apps.js';

type Create = (obj: KObject) => ErrorList;
type Update = (next: KObject, old: KObject) => ErrorList;

const RULES: Record<string, { create: Create; update?: Update }> = {
  Pod: { create: validatePod, update: validatePodUpdate },
  Secret: { create: validateSecret, update: validateSecretUpdate },
  ConfigMap: { create: validateConfigMap, update: validateConfigMapUpdate },
  Service: { create: validateService, update: validateServiceUpdate },
  PersistentVolumeClaim: { create: validatePersistentVolumeClaim, update: validatePersistentVolumeClaimUpdate },
  Namespace: { create: validateNamespace },
  ServiceAccount: { create: validateServiceAccount },
  Event: { create: validateEvent },
  Deployment: { create: validateDeployment, update: validateDeploymentUpdate },
  ReplicaSet: { create: validateReplicaSet, update: validateReplicaSetUpdate },
  SelfSubjectAccessReview: { create: validateSelfSubjectAccessReview },
};

/** The causes a real server would give for creating `obj` (empty when valid). */
export function causesForCreate(type: ResourceType, obj: KObject): ErrorList {
  return RULES[type.kind]?.create(obj) ?? [];
}

/** The causes for replacing `old` with `next`: the kind's update rules plus immutable metadata. */
export function causesForUpdate(type: ResourceType, next: KObject, old: KObject): ErrorList {
  const rules = RULES[type.kind];
  const errs = rules?.update ? rules.update(next, old) : (rules?.create(next) ?? []);
  return [...validateObjectMetaUpdate(next.metadata ?? {}, old.metadata ?? {}), ...errs];
}

export function validateCreate(type: ResourceType, obj: KObject): void {
  const causes = causesForCreate(type, obj);
  if (causes.length) throw invalidError(type.kind, type.group, obj.metadata?.name ?? '', causes);
}

export function validateUpdate(type: ResourceType, next: KObject, old: KObject): void {
  const causes = causesForUpdate(type, next, old);
  if (causes.length) throw invalidError(type.kind, type.group, next.metadata?.name ?? '', causes);
}
