// Validation of incoming objects against the Kubernetes OpenAPI schemas (kubernetes-models), plus
// the handful of apiserver checks the schemas cannot express, so that what a real cluster rejects
// with 422 Invalid is rejected here too.
import { Namespace, Pod, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { SelfSubjectAccessReview } from 'kubernetes-models/authorization.k8s.io/v1';
import { SimError, type StatusCause } from './status.js';

type KObject = Record<string, any>;

interface Validatable {
  validate(): void;
}
const models: Record<string, new (data: any) => Validatable> = {
  Pod,
  Secret,
  Service,
  ServiceAccount,
  Namespace,
  Deployment,
  SelfSubjectAccessReview,
};

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

const keywordRank: Record<string, number> = { format: 0, required: 1, enum: 2, pattern: 3, type: 4 };

/** `/spec/containers/0/image` -> `spec.containers[0].image` */
function fieldPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
}

function valueAt(obj: unknown, pointer: string): unknown {
  let v: unknown = obj;
  for (const p of pointer.split('/').slice(1)) v = (v as Record<string, unknown> | undefined)?.[p.replace(/~1/g, '/')];
  return v;
}

/** One cause per field, keeping the most specific ajv complaint (oneOf noise dropped). */
function schemaCauses(obj: KObject, errors: AjvError[]): StatusCause[] {
  const best = new Map<string, AjvError>();
  for (const e of errors) {
    if (e.keyword === 'oneOf' || e.keyword === 'anyOf') continue;
    const path = e.keyword === 'required' ? `${e.instancePath}/${String(e.params.missingProperty)}` : e.instancePath;
    const current = best.get(path);
    if (!current || (keywordRank[e.keyword] ?? 9) < (keywordRank[current.keyword] ?? 9)) best.set(path, e);
  }
  return [...best.entries()].map(([path, e]) => {
    const field = fieldPath(path);
    if (e.keyword === 'required') return { reason: 'FieldValueRequired', message: 'Required value', field };
    return {
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${JSON.stringify(valueAt(obj, path))}: ${e.message ?? e.keyword}`,
      field,
    };
  });
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function semanticCauses(obj: KObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const invalid = (field: string, value: unknown, why: string): void => {
    causes.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(value)}: ${why}` });
  };
  const required = (field: string): void => {
    causes.push({ reason: 'FieldValueRequired', field, message: 'Required value' });
  };
  const meta = obj.metadata ?? {};
  if (obj.kind !== 'SelfSubjectAccessReview') {
    if (!meta.name) required('metadata.name');
    else {
      const pattern = obj.kind === 'Namespace' || obj.kind === 'Service' ? DNS_LABEL : DNS_SUBDOMAIN;
      const max = pattern === DNS_LABEL ? 63 : 253;
      if (!pattern.test(meta.name) || meta.name.length > max) {
        invalid('metadata.name', meta.name, `a lowercase RFC 1123 ${pattern === DNS_LABEL ? 'label' : 'subdomain'} must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`);
      }
    }
  }
  for (const [key, value] of Object.entries((meta.labels ?? {}) as Record<string, unknown>)) {
    if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) {
      invalid(`metadata.labels`, value, `a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (key ${key})`);
    }
  }
  const podSpec: KObject | undefined = obj.kind === 'Pod' ? obj.spec : obj.kind === 'Deployment' ? obj.spec?.template?.spec : undefined;
  const prefix = obj.kind === 'Pod' ? 'spec' : 'spec.template.spec';
  if (podSpec) {
    const volumes = new Set<string>(((podSpec.volumes ?? []) as KObject[]).map((v) => v.name));
    const names = new Set<string>();
    for (const list of ['initContainers', 'containers'] as const) {
      ((podSpec[list] ?? []) as KObject[]).forEach((c, i) => {
        const at = `${prefix}.${list}[${i}]`;
        if (c.name && !DNS_LABEL.test(c.name)) invalid(`${at}.name`, c.name, 'a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\'');
        if (c.name && names.has(c.name)) causes.push({ reason: 'FieldValueDuplicate', field: `${at}.name`, message: `Duplicate value: ${JSON.stringify(c.name)}` });
        names.add(c.name);
        if (!c.image) required(`${at}.image`);
        ((c.volumeMounts ?? []) as KObject[]).forEach((m, j) => {
          if (!volumes.has(m.name)) causes.push({ reason: 'FieldValueNotFound', field: `${at}.volumeMounts[${j}].name`, message: `Not found: ${JSON.stringify(m.name)}` });
        });
      });
    }
    if (!podSpec.containers || podSpec.containers.length === 0) required(`${prefix}.containers`);
  }
  if (obj.kind === 'Secret') {
    for (const [key, value] of Object.entries((obj.data ?? {}) as Record<string, unknown>)) {
      if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) invalid(`data[${key}]`, '<secret>', 'illegal base64 data');
    }
    if (obj.type === 'kubernetes.io/dockerconfigjson') {
      const raw = obj.data?.['.dockerconfigjson'];
      if (!raw) required('data[.dockerconfigjson]');
      else {
        try {
          JSON.parse(Buffer.from(raw, 'base64').toString('utf8'));
        } catch {
          invalid('data[.dockerconfigjson]', '<secret contents redacted>', 'invalid character in JSON');
        }
      }
    }
  }
  return causes;
}

/** Throws a 422 Invalid `SimError` if a real API server would reject `obj`. */
export function validateObject(obj: KObject): void {
  const Model = models[obj.kind as string];
  let causes: StatusCause[] = [];
  if (Model) {
    try {
      new Model(obj).validate();
    } catch (err) {
      const errors = (err as { errors?: AjvError[] }).errors;
      if (!errors) throw err;
      causes = schemaCauses(obj, errors);
    }
  }
  const seen = new Set(causes.map((c) => c.field));
  causes.push(...semanticCauses(obj).filter((c) => !seen.has(c.field) || c.reason === 'FieldValueDuplicate'));
  if (causes.length === 0) return;
  const parts = causes.map((c) => `${c.field}: ${c.message}`);
  const name = obj.metadata?.name ?? '';
  throw new SimError(422, 'Invalid', `${obj.kind} "${name}" is invalid: ${parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`}`, {
    name,
    kind: obj.kind,
    causes,
  });
}
