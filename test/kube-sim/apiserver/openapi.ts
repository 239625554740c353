// OpenAPI v2 (/openapi/v2) and v3 (/openapi/v3, /openapi/v3/<gv>) generated from the same field
// schemas the decoder uses (apiserver/schema.ts). kubectl reads v3 to learn that the server does
// field validation (the `fieldValidation` parameter on PATCH) and for strategic-merge patch keys.
import { createHash } from 'node:crypto';
import { RESOURCE_TYPES, apiVersionOf, type ResourceType } from '../store/types.js';
import { fieldsOf, type FieldType } from './schema.js';

/** Lists merged by key under strategic merge patch (x-kubernetes-patch-merge-key), as in the Go types. */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  env: 'name',
  volumeMounts: 'mountPath',
  imagePullSecrets: 'name',
  ports: 'containerPort',
  hostAliases: 'ip',
  conditions: 'type',
  ownerReferences: 'uid',
  tolerations: 'key',
};

type Schema = Record<string, unknown>;

function schemaOf(t: FieldType, ref: (model: string) => string, seen: Set<string>, field?: string): Schema {
  switch (t.kind) {
    case 'string':
      return { type: 'string' };
    case 'byte':
      return { type: 'string', format: 'byte' };
    case 'date-time':
      return { type: 'string', format: 'date-time' };
    case 'boolean':
      return { type: 'boolean' };
    case 'integer':
      return { type: 'integer', format: t.format };
    case 'number':
      return { type: 'number', format: 'double' };
    case 'int-or-string':
      return { 'x-kubernetes-int-or-string': true };
    case 'quantity':
      return { 'x-kubernetes-int-or-string': true, type: undefined, anyOf: [{ type: 'integer' }, { type: 'string' }] };
    case 'any':
      return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    case 'map':
      return { type: 'object', additionalProperties: schemaOf(t.values, ref, seen) };
    case 'array': {
      const key = field ? MERGE_KEYS[field] : undefined;
      return { type: 'array', items: schemaOf(t.items, ref, seen), ...(key && t.items.kind === 'object' ? { 'x-kubernetes-patch-merge-key': key, 'x-kubernetes-patch-strategy': 'merge' } : {}) };
    }
    case 'object':
      seen.add(t.model);
      return { $ref: ref(t.model) };
  }
}

/** Every model reachable from the served kinds, as OpenAPI schemas keyed by model name. */
function definitions(ref: (model: string) => string, roots: ResourceType[]): Record<string, Schema> {
  const out: Record<string, Schema> = {};
  const queue = new Set<string>(roots.map((t) => t.model));
  for (const model of queue) {
    if (out[model]) continue;
    const fields = fieldsOf(model);
    if (!fields) continue;
    const properties: Record<string, Schema> = {};
    for (const [name, t] of fields) properties[name] = JSON.parse(JSON.stringify(schemaOf(t, ref, queue, name)));
    const gvk = RESOURCE_TYPES.filter((r) => r.model === model).map((r) => ({ group: r.group, version: r.version, kind: r.kind }));
    out[model] = { type: 'object', properties, ...(gvk.length ? { 'x-kubernetes-group-version-kind': gvk } : {}) };
  }
  return out;
}

function basePath(t: ResourceType): string {
  return t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`;
}

const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];

function paths(types: ResourceType[], ref: (model: string) => string, v3: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const t of types) {
    const gvk = { group: t.group, version: t.version, kind: t.kind };
    const param = (name: string, type = 'string'): Schema => (v3 ? { name, in: 'query', schema: { type, uniqueItems: true } } : { name, in: 'query', type, uniqueItems: true });
    const body = v3 ? { requestBody: { content: { '*/*': { schema: { $ref: ref(t.model) } } }, required: true } } : { parameters: [{ name: 'body', in: 'body', required: true, schema: { $ref: ref(t.model) } }] };
    const ok = v3 ? { 200: { description: 'OK', content: { 'application/json': { schema: { $ref: ref(t.model) } } } } } : { 200: { description: 'OK', schema: { $ref: ref(t.model) } } };
    const op = (action: string, extra: Schema = {}): Schema => ({ operationId: `${action}${t.kind}`, 'x-kubernetes-action': action, 'x-kubernetes-group-version-kind': gvk, responses: ok, ...extra });
    const collection = `${basePath(t)}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.resource}`;
    if (t.createOnly) {
      out[collection] = { post: op('post', { ...body, parameters: [param('dryRun'), param('fieldValidation')] }) };
      continue;
    }
    out[collection] = {
      get: op('list', { parameters: [param('labelSelector'), param('fieldSelector'), param('limit', 'integer'), param('continue'), param('watch', 'boolean')] }),
      post: op(
        'post',
        v3 ? { ...body, parameters: [param('dryRun'), param('fieldManager'), param('fieldValidation')] } : { parameters: [...(body as { parameters: Schema[] }).parameters, param('dryRun'), param('fieldManager'), param('fieldValidation')] },
      ),
    };
    const patchBody = v3
      ? { requestBody: { content: Object.fromEntries(PATCH_TYPES.map((m) => [m, { schema: { type: 'object' } }])), required: true }, parameters: [param('dryRun'), param('fieldManager'), param('fieldValidation'), param('force', 'boolean')] }
      : { consumes: PATCH_TYPES, parameters: [{ name: 'body', in: 'body', required: true, schema: { type: 'object' } }, param('dryRun'), param('fieldManager'), param('fieldValidation'), param('force', 'boolean')] };
    out[`${collection}/{name}`] = {
      get: op('get'),
      put: op('put', v3 ? { ...body, parameters: [param('dryRun'), param('fieldManager'), param('fieldValidation')] } : { parameters: [...(body as { parameters: Schema[] }).parameters, param('dryRun'), param('fieldValidation')] }),
      patch: op('patch', patchBody),
      delete: op('delete', { parameters: [param('dryRun'), param('gracePeriodSeconds', 'integer'), param('propagationPolicy')] }),
    };
  }
  return out;
}

const v3Docs = new Map<string, string>();

/** The /openapi/v3 index: one entry per group version, each with a content hash. */
export function openApiV3Index(): Record<string, unknown> {
  const gvs = [...new Set(RESOURCE_TYPES.map((t) => apiVersionOf(t)))];
  const entries = gvs.map((gv) => {
    const key = gv.includes('/') ? `apis/${gv}` : `api/${gv}`;
    const hash = createHash('sha512')
      .update(openApiV3Document(key) ?? '')
      .digest('hex')
      .slice(0, 128)
      .toUpperCase();
    return [key, { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` }];
  });
  return { paths: Object.fromEntries(entries) };
}

/** The OpenAPI 3.0 document of one group version (`api/v1`, `apis/apps/v1`), as JSON text. */
export function openApiV3Document(key: string): string | undefined {
  const cached = v3Docs.get(key);
  if (cached) return cached;
  const types = RESOURCE_TYPES.filter((t) => (t.group ? `apis/${t.group}/${t.version}` : `api/${t.version}`) === key);
  if (!types.length) return undefined;
  const ref = (m: string): string => `#/components/schemas/${m}`;
  const doc = {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0-kube-sim' },
    paths: paths(types, ref, true),
    components: { schemas: definitions(ref, types) },
  };
  const text = JSON.stringify(doc);
  v3Docs.set(key, text);
  return text;
}

let v2Doc: string | undefined;

/** The swagger 2.0 document of every served kind (JSON; the protobuf form is not served). */
export function openApiV2Document(): string {
  if (v2Doc) return v2Doc;
  const ref = (m: string): string => `#/definitions/${m}`;
  v2Doc = JSON.stringify({
    swagger: '2.0',
    info: { title: 'Kubernetes', version: 'v1.32.0-kube-sim' },
    paths: paths(RESOURCE_TYPES, ref, false),
    definitions: definitions(ref, RESOURCE_TYPES),
  });
  return v2Doc;
}
