// Validation of apps/v1 Deployments and ReplicaSets, ported from kubernetes
// pkg/apis/apps/validation/validation.go (function names cited beside each rule).
import type { KObject } from '../store/types.js';
import { forbidden, invalid, notSupported, required, type ErrorList } from './field.js';
import { selectorMatches, validateLabelSelector, validateLabels, validateObjectMeta } from './meta.js';
import { validatePodSpec } from './core.js';

/** ValidatePodTemplateSpecForReplicaSet: labels match the selector, restartPolicy Always, no activeDeadlineSeconds. */
function validateTemplate(template: KObject | undefined, selector: KObject | undefined, field: string): ErrorList {
  const errs: ErrorList = [];
  if (!template) return [required(field)];
  const labels = template.metadata?.labels;
  errs.push(...validateLabels(labels, `${field}.metadata.labels`));
  if (selector && Object.keys(selector).length && !selectorMatches(selector, labels)) {
    errs.push(invalid(`${field}.metadata.labels`, labels ?? {}, '`selector` does not match template `labels`'));
  }
  errs.push(...validatePodSpec(template.spec, `${field}.spec`));
  const policy = template.spec?.restartPolicy;
  if (policy !== 'Always') errs.push(notSupported(`${field}.spec.restartPolicy`, policy, ['Always']));
  if (template.spec?.activeDeadlineSeconds !== undefined) errs.push(forbidden(`${field}.spec.activeDeadlineSeconds`, 'activeDeadlineSeconds in ReplicaSet is not Supported'));
  return errs;
}

function validateSelector(selector: KObject | undefined, kind: string): ErrorList {
  if (!selector) return [required('spec.selector')];
  const errs = validateLabelSelector(selector, 'spec.selector');
  if (!Object.keys(selector.matchLabels ?? {}).length && !(selector.matchExpressions ?? []).length) {
    errs.push(invalid('spec.selector', selector, `empty selector is invalid for ${kind}`));
  }
  return errs;
}

/** IsNotMoreThan100Percent / ValidatePositiveIntOrPercent */
function intOrPercent(errs: ErrorList, field: string, value: unknown): number | 'pct' | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') {
    if (value < 0) errs.push(invalid(field, value, 'must be greater than or equal to 0'));
    return value;
  }
  const m = /^(\d+)%$/.exec(String(value));
  if (!m) {
    errs.push(invalid(field, value, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"));
    return undefined;
  }
  if (Number(m[1]) > 100) errs.push(invalid(field, value, 'must not be greater than 100%'));
  return Number(m[1]) === 0 ? 0 : 'pct';
}

/** ValidateDeploymentSpec + ValidateDeploymentStrategy + ValidateRollingUpdateDeployment */
export function validateDeployment(d: KObject): ErrorList {
  const errs = validateObjectMeta(d.metadata, { namespaced: true, nameFormat: 'subdomain' });
  const spec = d.spec ?? {};
  if (spec.replicas !== undefined && spec.replicas < 0) errs.push(invalid('spec.replicas', spec.replicas, 'must be greater than or equal to 0'));
  errs.push(...validateSelector(spec.selector, 'deployment'));
  errs.push(...validateTemplate(spec.template, spec.selector, 'spec.template'));
  const strategy = spec.strategy ?? {};
  if (!['Recreate', 'RollingUpdate'].includes(strategy.type)) errs.push(notSupported('spec.strategy.type', strategy.type, ['Recreate', 'RollingUpdate']));
  if (strategy.type === 'Recreate' && strategy.rollingUpdate) errs.push(forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"));
  if (strategy.type === 'RollingUpdate' && strategy.rollingUpdate) {
    const unavailable = intOrPercent(errs, 'spec.strategy.rollingUpdate.maxUnavailable', strategy.rollingUpdate.maxUnavailable);
    const surge = intOrPercent(errs, 'spec.strategy.rollingUpdate.maxSurge', strategy.rollingUpdate.maxSurge);
    if (unavailable === 0 && surge === 0) errs.push(invalid('spec.strategy.rollingUpdate.maxUnavailable', strategy.rollingUpdate.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
  }
  for (const f of ['minReadySeconds', 'revisionHistoryLimit', 'progressDeadlineSeconds']) {
    if (spec[f] !== undefined && spec[f] < 0) errs.push(invalid(`spec.${f}`, spec[f], 'must be greater than or equal to 0'));
  }
  if (spec.progressDeadlineSeconds !== undefined && spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
    errs.push(invalid('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
  }
  return errs;
}

/** ValidateDeploymentUpdate: the selector is immutable in apps/v1. */
export function validateDeploymentUpdate(next: KObject, old: KObject): ErrorList {
  const errs = validateDeployment(next);
  if (JSON.stringify(next.spec?.selector) !== JSON.stringify(old.spec?.selector)) errs.push(invalid('spec.selector', next.spec?.selector, 'field is immutable'));
  return errs;
}

/** ValidateReplicaSetSpec */
export function validateReplicaSet(rs: KObject): ErrorList {
  const errs = validateObjectMeta(rs.metadata, { namespaced: true, nameFormat: 'subdomain' });
  const spec = rs.spec ?? {};
  if (spec.replicas !== undefined && spec.replicas < 0) errs.push(invalid('spec.replicas', spec.replicas, 'must be greater than or equal to 0'));
  if (spec.minReadySeconds !== undefined && spec.minReadySeconds < 0) errs.push(invalid('spec.minReadySeconds', spec.minReadySeconds, 'must be greater than or equal to 0'));
  errs.push(...validateSelector(spec.selector, 'replicaset'));
  errs.push(...validateTemplate(spec.template, spec.selector, 'spec.template'));
  return errs;
}

/** ValidateReplicaSetUpdate: the selector is immutable in apps/v1. */
export function validateReplicaSetUpdate(next: KObject, old: KObject): ErrorList {
  const errs = validateReplicaSet(next);
  if (JSON.stringify(next.spec?.selector) !== JSON.stringify(old.spec?.selector)) errs.push(invalid('spec.selector', next.spec?.selector, 'field is immutable'));
  return errs;
}

/** authorization ValidateSelfSubjectAccessReviewSpec: exactly one of resource/nonResource attributes. */
export function validateSelfSubjectAccessReview(r: KObject): ErrorList {
  const spec = r.spec ?? {};
  const errs: ErrorList = [];
  if (!!spec.resourceAttributes === !!spec.nonResourceAttributes) {
    errs.push(invalid('spec.resourceAttributes', spec.resourceAttributes ?? null, 'exactly one of nonResourceAttributes or resourceAttributes must be specified'));
  }
  return errs;
}
