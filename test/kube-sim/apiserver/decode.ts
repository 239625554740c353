// Request bodies as the apiserver's create/update handlers read them: media type, JSON or YAML,
// the group/version/kind check, the typed decode (400 "X in version "v1" cannot be handled as a
// X: ..."), and fieldValidation (Ignore / Warn -> `Warning: 299` headers / Strict -> 400).
import { parse as parseYaml } from 'yaml';
import { SimError } from '../store/status.js';
import { apiVersionOf, RESOURCE_TYPES, type KObject, type ResourceType } from '../store/types.js';
import { decodeTyped } from './schema.js';

export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

/** The fieldValidation query parameter; the default is Warn (as in servers since 1.27). */
export function fieldValidationOf(query: URLSearchParams): FieldValidation {
  const v = query.get('fieldValidation');
  if (v === null || v === '') return 'Warn';
  if (v === 'Ignore' || v === 'Warn' || v === 'Strict') return v;
  throw new SimError(400, 'BadRequest', `fieldValidation must be one of "Ignore", "Warn", or "Strict", got ${JSON.stringify(v)}`);
}

/** The dryRun query parameter: absent, or exactly "All" (ValidateDryRun). */
export function dryRunOf(query: URLSearchParams, options: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions' | 'DeleteOptions'): boolean {
  const values = query.getAll('dryRun');
  if (values.length === 0) return false;
  if (values.length === 1 && values[0] === 'All') return true;
  throw new SimError(422, 'Invalid', `${options}.meta.k8s.io "" is invalid: dryRun: Unsupported value: ${JSON.stringify(values)}: supported values: "All"`, {
    group: 'meta.k8s.io',
    kind: options,
    causes: [{ reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(values)}: supported values: "All"`, field: 'dryRun' }],
  });
}

const SUMMARY_LENGTH = 30;

/** Parses the body text by media type; syntax errors are 400 in the decoder's words. */
export function parseBody(text: string, contentType: string | undefined, type: ResourceType | undefined): unknown {
  const media = (contentType ?? 'application/json').split(';')[0]!.trim();
  const into = type?.kind ?? 'Object';
  if (media === 'application/yaml' || media === 'application/apply-patch+yaml') {
    try {
      return parseYaml(text);
    } catch (err) {
      throw new SimError(400, 'BadRequest', `the object provided is unrecognized (must be of type ${into}): couldn't get version/kind; yaml parse error: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  if (media === 'application/vnd.kubernetes.protobuf' || media === 'application/cbor') {
    throw new SimError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    const summary = text.length > SUMMARY_LENGTH ? `${text.slice(0, SUMMARY_LENGTH)} ...` : text;
    throw new SimError(400, 'BadRequest', `the object provided is unrecognized (must be of type ${into}): couldn't get version/kind; json parse error: ${(err as Error).message} (${summary})`);
  }
}

export interface Decoded {
  object: KObject;
  warnings: string[];
}

/**
 * Decodes a parsed body into `type` as create/update handlers do: apiVersion/kind default to the
 * endpoint's; a different kind or version is 400; typed decode errors are 400; unknown fields are
 * handled per fieldValidation (dropped in every mode).
 */
export function decodeObject(body: unknown, type: ResourceType, fieldValidation: FieldValidation): Decoded {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    const got = Array.isArray(body) ? 'array' : body === null ? 'null' : typeof body;
    throw new SimError(
      400,
      'BadRequest',
      `the object provided is unrecognized (must be of type ${type.kind}): couldn't get version/kind; json parse error: json: cannot unmarshal ${got} into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" } (${JSON.stringify(body)?.slice(0, SUMMARY_LENGTH)})`,
    );
  }
  const raw = body as KObject;
  const expected = apiVersionOf(type);
  const apiVersion = typeof raw.apiVersion === 'string' && raw.apiVersion ? raw.apiVersion : expected;
  const kind = typeof raw.kind === 'string' && raw.kind ? raw.kind : type.kind;
  const version = apiVersion.includes('/') ? apiVersion.split('/')[1]! : apiVersion;
  const cannot = (why: string): SimError => new SimError(400, 'BadRequest', `${kind} in version ${JSON.stringify(version)} cannot be handled as a ${type.kind}: ${why}`);
  if (kind !== type.kind) {
    const known = RESOURCE_TYPES.find((t) => t.kind === kind && apiVersionOf(t) === apiVersion);
    if (!known) throw cannot(`no kind ${JSON.stringify(kind)} is registered for version ${JSON.stringify(apiVersion)} in scheme "pkg/api/legacyscheme/scheme.go:30"`);
    throw cannot(`converting (${version}.${kind}) to (${type.group ? type.group.split('.')[0] : 'core'}.${type.kind}): unknown conversion`);
  }
  if (apiVersion !== expected) {
    throw new SimError(400, 'BadRequest', `the API version in the data (${apiVersion}) does not match the expected API version (${expected})`);
  }
  const { object, unknownFields, error } = decodeTyped(type.model, raw);
  if (error) throw cannot(error);
  const warnings: string[] = [];
  if (unknownFields.length && fieldValidation === 'Strict') throw cannot(`strict decoding error: ${unknownFields.join(', ')}`);
  if (fieldValidation === 'Warn') warnings.push(...unknownFields);
  object.apiVersion = expected;
  object.kind = type.kind;
  return { object: object as KObject, warnings };
}

/** The Warning header values for warnings (RFC 7234 299 with the agent "-"). */
export const warningHeaders = (warnings: string[]): string[] => warnings.map((w) => `299 - ${JSON.stringify(w)}`);
