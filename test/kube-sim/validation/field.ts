// field.ErrorList as k8s.io/apimachinery/pkg/util/validation/field words it: each error has a type
// (the Status cause reason), a field path and a message; an aggregate becomes one 422 Invalid.
import { SimError, type StatusCause } from '../store/status.js';

export type ErrorList = StatusCause[];

/** Go's %v / %q rendering of a value in "Invalid value: ..." messages. */
export function render(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export const invalid = (field: string, value: unknown, detail: string): StatusCause => ({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${render(value)}: ${detail}` });
export const required = (field: string, detail = ''): StatusCause => ({ reason: 'FieldValueRequired', field, message: detail ? `Required value: ${detail}` : 'Required value' });
export const duplicate = (field: string, value: unknown): StatusCause => ({ reason: 'FieldValueDuplicate', field, message: `Duplicate value: ${render(value)}` });
export const notFound = (field: string, value: unknown): StatusCause => ({ reason: 'FieldValueNotFound', field, message: `Not found: ${render(value)}` });
export const forbidden = (field: string, detail: string): StatusCause => ({ reason: 'FieldValueForbidden', field, message: `Forbidden: ${detail}` });
export const tooLong = (field: string, max: number): StatusCause => ({ reason: 'FieldValueTooLong', field, message: `Too long: may not be more than ${max} bytes` });
export const notSupported = (field: string, value: unknown, supported: string[]): StatusCause => ({
  reason: 'FieldValueNotSupported',
  field,
  message: `Unsupported value: ${render(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`,
});

/** The 422 a real apiserver returns for a non-empty ErrorList (errors.NewInvalid). */
export function invalidError(kind: string, group: string, name: string, causes: ErrorList): SimError {
  const parts = causes.map((c) => `${c.field}: ${c.message}`);
  const qualified = group ? `${kind}.${group}` : kind;
  return new SimError(422, 'Invalid', `${qualified} "${name}" is invalid: ${parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`}`, {
    name,
    group: group || undefined,
    kind,
    causes,
  });
}
