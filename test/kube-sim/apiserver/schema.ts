// The field schema of every served kind, read from @kubernetes/client-node's generated models
// (themselves generated from the Kubernetes OpenAPI document). One source for three uses: the
// typed decode (what encoding/json + the strict decoder reject with 400), unknown-field handling
// (fieldValidation) and the OpenAPI documents served to kubectl.
import * as models from '@kubernetes/client-node';

export type FieldType =
  | { kind: 'string' | 'boolean' | 'any' | 'date-time' | 'int-or-string' | 'quantity' | 'byte' }
  | { kind: 'integer'; format: 'int32' | 'int64' }
  | { kind: 'number' }
  | { kind: 'array'; items: FieldType }
  | { kind: 'map'; values: FieldType }
  | { kind: 'object'; model: string };

interface Attribute {
  name: string;
  baseName: string;
  type: string;
  format: string;
}

/** Fields whose values are resource.Quantity (client-node types them as plain strings). */
const QUANTITY_FIELDS = new Set([
  'V1ResourceRequirements.limits',
  'V1ResourceRequirements.requests',
  'V1VolumeResourceRequirements.limits',
  'V1VolumeResourceRequirements.requests',
  'V1EmptyDirVolumeSource.sizeLimit',
  'V1PersistentVolumeClaimStatus.capacity',
  'V1PersistentVolumeClaimStatus.allocatedResources',
]);

function parseType(owner: string, attr: Attribute, type = attr.type): FieldType {
  const arr = /^Array<(.+)>$/.exec(type);
  if (arr) return { kind: 'array', items: parseType(owner, attr, arr[1]!) };
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) return { kind: 'map', values: parseType(owner, attr, map[1]!) };
  if (QUANTITY_FIELDS.has(`${owner}.${attr.baseName}`)) return { kind: 'quantity' };
  switch (type) {
    case 'string':
      return { kind: attr.format === 'byte' ? 'byte' : 'string' };
    case 'boolean':
      return { kind: 'boolean' };
    case 'number':
      return attr.format === 'int32' || attr.format === 'int64' ? { kind: 'integer', format: attr.format } : { kind: 'number' };
    case 'Date':
      return { kind: 'date-time' };
    case 'IntOrString':
      return { kind: 'int-or-string' };
    case 'any':
    case 'object':
      return { kind: 'any' };
    default:
      return { kind: 'object', model: type };
  }
}

const cache = new Map<string, Map<string, FieldType>>();

/** The fields of a model (`V1PodSpec`), keyed by their JSON names; undefined for unknown models. */
export function fieldsOf(model: string): Map<string, FieldType> | undefined {
  const hit = cache.get(model);
  if (hit) return hit;
  const cls = (models as unknown as Record<string, { getAttributeTypeMap?: () => Attribute[] } | undefined>)[model];
  if (!cls?.getAttributeTypeMap) return undefined;
  const fields = new Map(cls.getAttributeTypeMap().map((a) => [a.baseName, parseType(model, a)] as const));
  cache.set(model, fields);
  return fields;
}

/** The Go type name used in decode errors: `V1PodSpec` -> `PodSpec`. */
export const goTypeName = (model: string): string => model.replace(/^(Core|Apps|Authorization)?V\d+(beta\d+|alpha\d+)?/, '');

// resource.Quantity: the serialization format and the suffixes apimachinery accepts.
const QUANTITY_FORMAT = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;
const QUANTITY_SUFFIX = /^(|n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|[eE][-+]?[0-9]+)$/;

/** Parses a Quantity as resource.ParseQuantity does; returns the error text or the value. */
export function parseQuantity(value: unknown): { value: number } | { error: string } {
  if (typeof value === 'number') return { value };
  if (typeof value !== 'string') return { error: 'quantities must be strings or numbers' };
  const m = QUANTITY_FORMAT.exec(value);
  if (!m || !/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$/.test(m[1]!)) {
    return { error: "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'" };
  }
  const suffix = m[2]!;
  if (!QUANTITY_SUFFIX.test(suffix)) return { error: "unable to parse quantity's suffix" };
  const n = Number(m[1]);
  const bin: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
  const dec: Record<string, number> = { '': 1, n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
  if (/^[eE]/.test(suffix)) return { value: n * 10 ** Number(suffix.slice(1)) };
  return { value: n * (bin[suffix] ?? dec[suffix]!) };
}

/** How encoding/json names a JSON value's kind in UnmarshalTypeError. */
const jsonTypeOf = (v: unknown): string => (Array.isArray(v) ? 'array' : typeof v === 'object' ? 'object' : typeof v === 'boolean' ? 'bool' : typeof v);
const goTypeOf = (t: FieldType): string => {
  switch (t.kind) {
    case 'string':
    case 'date-time':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'integer':
      return t.format;
    case 'number':
      return 'float64';
    case 'byte':
      return '[]uint8';
    case 'array':
      return `[]${goTypeOf(t.items)}`;
    case 'map':
      return `map[string]${goTypeOf(t.values)}`;
    case 'object':
      return goTypeName(t.model);
    default:
      return 'interface {}';
  }
};

export interface DecodeResult {
  /** The decoded object with unknown fields dropped (nulls become absent, as Go zero values do). */
  object: Record<string, unknown>;
  /** `unknown field "spec.foo"` for each field the schema does not have. */
  unknownFields: string[];
  /** The first type/format error, as encoding/json and the custom unmarshalers word it. */
  error?: string;
}

/**
 * Decodes `input` as the apiserver's JSON decoder decodes into the typed struct of `model`:
 * type mismatches and bad quantities/base64 are errors (400), unknown fields are collected for
 * fieldValidation. Map keys and `any` fields are passed through.
 */
export function decodeTyped(model: string, input: Record<string, unknown>): DecodeResult {
  const unknownFields: string[] = [];
  let error: string | undefined;
  const fail = (message: string): undefined => {
    error ??= message;
    return undefined;
  };
  const walk = (type: FieldType, value: unknown, path: string, structPath: string, owner: string): unknown => {
    if (value === null || value === undefined) return undefined;
    const mismatch = (): undefined => fail(`json: cannot unmarshal ${jsonTypeOf(value)} into Go struct field ${owner}.${structPath} of type ${goTypeOf(type)}`);
    switch (type.kind) {
      case 'any':
        return value;
      case 'string':
        return typeof value === 'string' ? value : mismatch();
      case 'date-time':
        if (typeof value !== 'string') return mismatch();
        if (Number.isNaN(Date.parse(value))) return fail(`parsing time ${JSON.stringify(value)} as "2006-01-02T15:04:05Z07:00": cannot parse ${JSON.stringify(value)} as "2006"`);
        return value;
      case 'boolean':
        return typeof value === 'boolean' ? value : mismatch();
      case 'integer':
        if (typeof value !== 'number') return mismatch();
        if (!Number.isInteger(value)) return fail(`json: cannot unmarshal number ${value} into Go struct field ${owner}.${structPath} of type ${type.format}`);
        if (type.format === 'int32' && (value > 2 ** 31 - 1 || value < -(2 ** 31))) return fail(`json: cannot unmarshal number ${value} into Go struct field ${owner}.${structPath} of type int32`);
        return value;
      case 'number':
        return typeof value === 'number' ? value : mismatch();
      case 'int-or-string':
        if (typeof value === 'number' && Number.isInteger(value)) return value;
        if (typeof value === 'string') return value;
        return fail(`json: cannot unmarshal ${jsonTypeOf(value)} into Go value of type intstr.IntOrString`);
      case 'quantity': {
        const q = parseQuantity(value);
        return 'error' in q ? fail(q.error) : value;
      }
      case 'byte':
        if (typeof value !== 'string') return mismatch();
        {
          const bad = base64Error(value);
          return bad === undefined ? value : fail(`illegal base64 data at input byte ${bad}`);
        }
      case 'array':
        if (!Array.isArray(value)) return mismatch();
        return value.map((v, i) => walk(type.items, v, `${path}[${i}]`, structPath, owner) ?? null);
      case 'map':
        if (typeof value !== 'object' || Array.isArray(value)) return mismatch();
        return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, walk(type.values, v, `${path}[${k}]`, structPath, owner) ?? (type.values.kind === 'any' ? null : defaultOf(type.values))]));
      case 'object': {
        if (typeof value !== 'object' || Array.isArray(value)) return mismatch();
        const fields = fieldsOf(type.model);
        if (!fields) return value;
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
          const ft = fields.get(k);
          const childPath = path ? `${path}.${k}` : k;
          if (!ft) {
            unknownFields.push(`unknown field ${JSON.stringify(childPath)}`);
            continue;
          }
          const decoded = walk(ft, v, childPath, structPath ? `${structPath}.${k}` : k, goTypeName(type.model));
          if (decoded !== undefined) out[k] = decoded;
        }
        return out;
      }
    }
  };
  const object = (walk({ kind: 'object', model }, input, '', '', goTypeName(model)) ?? {}) as Record<string, unknown>;
  return { object, unknownFields, error };
}

const defaultOf = (t: FieldType): unknown => (t.kind === 'string' || t.kind === 'byte' ? '' : t.kind === 'integer' || t.kind === 'number' ? 0 : t.kind === 'boolean' ? false : null);

/** Index of the first byte Go's base64.StdEncoding rejects, or undefined if `s` is valid. */
export function base64Error(s: string): number | undefined {
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '=') {
      const rest = s.slice(i);
      if ((rest === '=' || rest === '==') && s.length % 4 === 0) return undefined;
      return i;
    }
    if (!/[A-Za-z0-9+/\r\n]/.test(c)) return i;
  }
  return s.replace(/[\r\n]/g, '').length % 4 === 0 ? undefined : s.length;
}
