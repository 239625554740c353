// JSON Schema validation of templates (draft 2020-12, allErrors), with messages rewritten for
// people: one message per real mistake, placed on the YAML node it is about. The validators are
// compiled from schemas/ at build time (scripts/compile-schemas.mjs, ajv standalone code), so no
// schema is compiled when the CLI or an action starts.
import type { ErrorObject, ValidateFunction } from 'ajv';
import * as compiled from './schema-validators.js';
import type { Problem } from './problems.js';
import { problemAtPath, type PathSegment, type SourceFile } from './yaml.js';
import { closest } from '../lib/suggest.js';

export type TemplateKind = 'image' | 'environment' | 'secret';

const validators: Record<TemplateKind, ValidateFunction> = { image: compiled.image, environment: compiled.environment, secret: compiled.secret };

export interface SchemaResult {
  problems: Problem[];
  /** Unknown keys (the `additionalProperties` errors), with the known key they likely misspell. */
  unknownKeys: { path: PathSegment[]; guess?: string }[];
  /** How many distinct mistakes the schema found (unknown keys included). */
  errorCount: number;
}

/** Validates a parsed template against its kind's schema. */
export function validateSchema(kind: TemplateKind, file: SourceFile): SchemaResult {
  const validate = validators[kind];
  if (validate(file.data)) return { problems: [], unknownKeys: [], errorCount: 0 };
  const errors = dropTypoEchoes(reduceErrors(validate.errors ?? []));
  const unknownKeys = errors
    .filter((e) => e.keyword === 'additionalProperties')
    .map((e) => {
      const extra = (e.params as { additionalProperty: string }).additionalProperty;
      const guess = closest(extra, Object.keys((e.parentSchema as { properties?: object }).properties ?? {}));
      return { path: [...pathOf(e), extra], ...(guess ? { guess } : {}) };
    });
  return { problems: errors.map((e) => toProblem(kind, file, e)), unknownKeys, errorCount: errors.length };
}

/** A misspelt key shows up twice, as unknown and as missing: keep the "did you mean". */
function dropTypoEchoes(errors: ErrorObject[]): ErrorObject[] {
  const suggested = new Set<string>();
  for (const e of errors) {
    if (e.keyword !== 'additionalProperties') continue;
    const allowed = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
    const guess = closest((e.params as { additionalProperty: string }).additionalProperty, allowed);
    if (guess) suggested.add(`${e.instancePath}\0${guess}`);
  }
  return errors.filter((e) => e.keyword !== 'required' || !suggested.has(`${e.instancePath}\0${(e.params as { missingProperty: string }).missingProperty}`));
}

function pathOf(error: ErrorObject): PathSegment[] {
  if (error.instancePath === '') return [];
  return error.instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/**
 * anyOf/oneOf report every branch's errors. Keep only the branch that fits the value best:
 * one whose type matched (no `type` error at the alternation's own path), with the fewest errors.
 */
function reduceErrors(errors: ErrorObject[]): ErrorObject[] {
  let result = errors;
  for (;;) {
    const alt = result.find((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
    if (!alt) return result;
    const prefix = alt.schemaPath.replace(/\/(anyOf|oneOf)$/, `/${alt.keyword}/`);
    const branches = new Map<number, ErrorObject[]>();
    for (const e of result) {
      if (!e.schemaPath.startsWith(prefix)) continue;
      const index = Number(e.schemaPath.slice(prefix.length).split('/')[0]);
      branches.set(index, [...(branches.get(index) ?? []), e]);
    }
    const ranked = [...branches.values()].sort((a, b) => score(a, alt) - score(b, alt));
    const keep = new Set(ranked[0] ?? []);
    result = result.filter((e) => e !== alt && (!e.schemaPath.startsWith(prefix) || keep.has(e)));
  }
}

function score(branch: ErrorObject[], alt: ErrorObject): number {
  const typeMismatch = branch.some((e) => e.instancePath === alt.instancePath && (e.keyword === 'type' || e.keyword === 'const'));
  return (typeMismatch ? 1000 : 0) + branch.length;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  return `${typeof value} ${String(value)}`;
}

const TYPE_NAMES: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
  null: 'null',
};

function valueAt(data: unknown, path: PathSegment[]): unknown {
  let v = data;
  for (const seg of path) v = v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[seg] : undefined;
  return v;
}

function dotted(path: PathSegment[]): string {
  if (path.length === 0) return 'the template';
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

function toProblem(kind: TemplateKind, file: SourceFile, error: ErrorObject): Problem {
  const path = pathOf(error);
  const where = dotted(path);
  const value = valueAt(file.data, path);
  const description = (error.parentSchema as { description?: string } | undefined)?.description;
  switch (error.keyword) {
    case 'required': {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      const hint = kind === 'image' && missing === 'image' ? ' (the repository this template publishes, e.g. ghcr.io/acme/dev)' : '';
      return problemAtPath(file, path, `${where} is missing the required key '${missing}'${hint}`, 'Missing key');
    }
    case 'additionalProperties': {
      const extra = (error.params as { additionalProperty: string }).additionalProperty;
      const allowed = Object.keys((error.parentSchema as { properties?: object }).properties ?? {});
      const guess = closest(extra, allowed);
      const suggestion = guess ? `did you mean '${guess}'?` : `allowed keys: ${allowed.join(', ')}`;
      return problemAtPath(file, [...path, extra], `unknown key '${extra}' in ${where}; ${suggestion}`, 'Unknown key', true);
    }
    case 'type': {
      if (typeof value === 'number' && !Number.isFinite(value)) {
        return problemAtPath(file, path, `${where} is a number too large to use (${String(value)}); write a real value`, 'Out of range');
      }
      const expected = String((error.params as { type: string | string[] }).type)
        .split(',')
        .map((t) => TYPE_NAMES[t] ?? t)
        .join(' or ');
      return problemAtPath(file, path, `${where} must be ${expected}, not ${describeType(value)}`, 'Wrong type');
    }
    case 'const': {
      const allowed = (error.params as { allowedValue: unknown }).allowedValue;
      const extra = path.length === 1 && path[0] === 'type' ? `: files under .coder/${kind === 'image' ? 'images' : kind === 'environment' ? 'environments' : 'secrets'}/ hold ${kind} templates` : '';
      return problemAtPath(file, path, `${where} must be '${String(allowed)}', not ${describeType(value)}${extra}`, 'Wrong value');
    }
    case 'enum': {
      const allowed = (error.params as { allowedValues: unknown[] }).allowedValues.map(String);
      const guess = typeof value === 'string' ? closest(value, allowed) : undefined;
      return problemAtPath(file, path, `${where} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, not ${describeType(value)}${guess ? ` (did you mean '${guess}'?)` : ''}`, 'Wrong value');
    }
    case 'pattern':
      return problemAtPath(file, path, `${where} is not valid: ${describeType(value)}. Expected ${lowerFirst(description ?? `to match ${error.params.pattern}`)}`, 'Invalid value');
    case 'minLength':
      return problemAtPath(file, path, `${where} must not be empty`, 'Empty value');
    case 'minItems':
      return problemAtPath(file, path, `${where} needs at least ${(error.params as { limit: number }).limit} item(s)`, 'Empty list');
    case 'minProperties':
      return problemAtPath(file, path, `${where} needs at least ${(error.params as { limit: number }).limit} key(s)`, 'Empty mapping');
    case 'uniqueItems': {
      const { i, j } = error.params as { i: number; j: number };
      return problemAtPath(file, [...path, i], `${where} lists the same value twice (items ${j + 1} and ${i + 1})`, 'Duplicate value');
    }
    case 'minimum':
    case 'maximum':
      return problemAtPath(file, path, `${where} must be ${error.keyword === 'minimum' ? '>=' : '<='} ${(error.params as { limit: number }).limit}, not ${String(value)}`, 'Out of range');
    case 'propertyNames':
      return problemAtPath(file, path, `${where} has an invalid key name`, 'Invalid key');
    default:
      return problemAtPath(file, path, `${where} ${error.message ?? 'is invalid'}`, 'Invalid template');
  }
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}
