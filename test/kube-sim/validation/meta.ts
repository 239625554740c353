// Object metadata, names, labels and selectors: ports of k8s.io/apimachinery
// pkg/api/validation (ValidateObjectMeta, ValidateObjectMetaUpdate, NameIsDNSSubdomain/Label),
// pkg/apis/meta/v1/validation (ValidateLabels, ValidateLabelSelector) and
// pkg/util/validation (IsQualifiedName, IsValidLabelValue, IsDNS1123Label/Subdomain, ...).
import type { KObject } from '../store/types.js';
import { duplicate, forbidden, invalid, notSupported, required, tooLong, type ErrorList } from './field.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const CONFIG_MAP_KEY = /^[-._a-zA-Z0-9]+$/;
const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** IsDNS1123Label */
export function dns1123Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push('must be no more than 63 characters');
  if (!DNS1123_LABEL.test(value)) {
    errs.push(
      `a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
    );
  }
  return errs;
}

/** IsDNS1123Subdomain */
export function dns1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push('must be no more than 253 characters');
  if (!DNS1123_SUBDOMAIN.test(value)) {
    errs.push(
      `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    );
  }
  return errs;
}

/** IsQualifiedName: an optional DNS-subdomain prefix and a name of at most 63 characters. */
export function qualifiedName(value: string): string[] {
  const parts = value.split('/');
  let name = value;
  const errs: string[] = [];
  if (parts.length === 2) {
    const [prefix, n] = parts as [string, string];
    name = n;
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else errs.push(...dns1123Subdomain(prefix).map((e) => `prefix part ${e}`));
  } else if (parts.length > 2) {
    return [
      `a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push('name part must be no more than 63 characters');
  if (name.length > 0 && !QUALIFIED_NAME.test(name)) {
    errs.push(
      `name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
    );
  }
  return errs;
}

/** IsValidLabelValue */
export function labelValue(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push('must be no more than 63 characters');
  if (!LABEL_VALUE.test(value)) {
    errs.push(
      `a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
    );
  }
  return errs;
}

/** IsConfigMapKey (Secret and ConfigMap data keys) */
export function configMapKey(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push('must be no more than 253 characters');
  if (!CONFIG_MAP_KEY.test(value)) errs.push(`a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`);
  if (value === '.') errs.push(`must not be '.'`);
  else if (value === '..') errs.push(`must not be '..'`);
  else if (value.startsWith('..')) errs.push(`must not start with '..'`);
  return errs;
}

/** IsEnvVarName (relaxed rule, the default since 1.30) */
export function envVarName(value: string): string[] {
  return ENV_VAR_NAME.test(value)
    ? []
    : [
        `a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')`,
      ];
}

/** IsValidPortName (IANA_SVC_NAME) */
export function portName(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 15) errs.push('must be no more than 15 characters');
  if (!IANA_SVC_NAME.test(value)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (value.includes('--')) errs.push('must not contain consecutive hyphens');
  if (!/[a-z]/.test(value)) errs.push('must contain at least one letter (a-z)');
  return errs;
}

export const inRange = (lo: number, hi: number): string => `must be between ${lo} and ${hi}, inclusive`;

export function each(list: ErrorList, field: string, value: unknown, messages: string[]): void {
  for (const m of messages) list.push(invalid(field, value, m));
}

/** ValidateLabels */
export function validateLabels(labels: Record<string, unknown> | undefined, field: string): ErrorList {
  const errs: ErrorList = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    each(errs, field, k, qualifiedName(k));
    each(errs, field, v, labelValue(String(v)));
  }
  return errs;
}

/** ValidateLabelSelector (matchLabels and matchExpressions) */
export function validateLabelSelector(selector: KObject | undefined, field: string): ErrorList {
  if (!selector) return [];
  const errs = validateLabels(selector.matchLabels, `${field}.matchLabels`);
  ((selector.matchExpressions ?? []) as KObject[]).forEach((e, i) => {
    const at = `${field}.matchExpressions[${i}]`;
    if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(e.operator)) errs.push(notSupported(`${at}.operator`, e.operator, ['In', 'NotIn', 'Exists', 'DoesNotExist']));
    if ((e.operator === 'In' || e.operator === 'NotIn') && !(e.values ?? []).length) errs.push(required(`${at}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
    if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && (e.values ?? []).length) errs.push(forbidden(`${at}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    each(errs, `${at}.key`, e.key, qualifiedName(String(e.key ?? '')));
  });
  return errs;
}

/** Whether a LabelSelector (matchLabels + matchExpressions) selects the given labels. */
export function selectorMatches(selector: KObject | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return false;
  const l = labels ?? {};
  for (const [k, v] of Object.entries((selector.matchLabels ?? {}) as Record<string, string>)) if (l[k] !== v) return false;
  for (const e of (selector.matchExpressions ?? []) as KObject[]) {
    const has = e.key in l;
    if (e.operator === 'In' && !(has && e.values.includes(l[e.key]))) return false;
    if (e.operator === 'NotIn' && has && e.values.includes(l[e.key])) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

const TOTAL_ANNOTATION_SIZE = 256 * 1024;

/**
 * ValidateObjectMeta: name (or generateName) in the kind's format, namespace present exactly for
 * namespaced kinds, labels, annotations (keys and 256 KiB total), ownerReferences, finalizers.
 */
export function validateObjectMeta(meta: KObject | undefined, opts: { namespaced: boolean; nameFormat: 'label' | 'subdomain' | 'path' }): ErrorList {
  const errs: ErrorList = [];
  const m = meta ?? {};
  const check = opts.nameFormat === 'label' ? dns1123Label : opts.nameFormat === 'subdomain' ? dns1123Subdomain : pathSegmentName;
  if (m.generateName) each(errs, 'metadata.generateName', m.generateName, check(String(m.generateName).replace(/-$/, 'a')));
  if (!m.name) errs.push(required('metadata.name', 'name or generateName is required'));
  else each(errs, 'metadata.name', m.name, check(String(m.name)));
  if (opts.namespaced && !m.namespace) errs.push(required('metadata.namespace'));
  if (!opts.namespaced && m.namespace) errs.push(forbidden('metadata.namespace', 'not allowed on this type'));
  errs.push(...validateLabels(m.labels, 'metadata.labels'));
  let size = 0;
  for (const [k, v] of Object.entries((m.annotations ?? {}) as Record<string, string>)) {
    each(errs, 'metadata.annotations', k, qualifiedName(k.toLowerCase()));
    size += k.length + String(v).length;
  }
  if (size > TOTAL_ANNOTATION_SIZE) errs.push(tooLong('metadata.annotations', TOTAL_ANNOTATION_SIZE));
  ((m.ownerReferences ?? []) as KObject[]).forEach((r, i) => {
    const at = `metadata.ownerReferences[${i}]`;
    if (!r.apiVersion) errs.push(invalid(`${at}.apiVersion`, r.apiVersion ?? '', 'version must not be empty'));
    if (!r.kind) errs.push(invalid(`${at}.kind`, r.kind ?? '', 'kind must not be empty'));
    if (!r.name) errs.push(invalid(`${at}.name`, r.name ?? '', 'name must not be empty'));
    if (!r.uid) errs.push(invalid(`${at}.uid`, r.uid ?? '', 'uid must not be empty'));
  });
  if (((m.ownerReferences ?? []) as KObject[]).filter((r) => r.controller).length > 1) {
    errs.push(invalid('metadata.ownerReferences', m.ownerReferences, 'Only one reference can have Controller set to true'));
  }
  const seen = new Set<string>();
  ((m.finalizers ?? []) as string[]).forEach((f, i) => {
    each(errs, `metadata.finalizers[${i}]`, f, qualifiedName(f));
    if (seen.has(f)) errs.push(duplicate(`metadata.finalizers[${i}]`, f));
    seen.add(f);
  });
  return errs;
}

/** ValidatePathSegmentName (names that only need to be a URL path segment) */
function pathSegmentName(value: string): string[] {
  if (value === '.' || value === '..') return [`may not be '${value}'`];
  return /[/%]/.test(value) ? [`may not contain '${value.includes('/') ? '/' : '%'}'`] : [];
}

/** ValidateObjectMetaUpdate: identity fields cannot change. */
export function validateObjectMetaUpdate(next: KObject, old: KObject): ErrorList {
  const errs: ErrorList = [];
  for (const f of ['name', 'namespace', 'uid', 'creationTimestamp'] as const) {
    if (next[f] !== undefined && old[f] !== undefined && next[f] !== old[f]) errs.push(invalid(`metadata.${f}`, next[f], 'field is immutable'));
  }
  if (old.deletionTimestamp && next.finalizers) {
    const added = (next.finalizers as string[]).filter((f) => !((old.finalizers ?? []) as string[]).includes(f));
    if (added.length) errs.push(forbidden('metadata.finalizers', `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`));
  }
  return errs;
}
