// The decode step of the apiserver's create/update handlers (staging/src/k8s.io/apiserver/pkg/
// endpoints/handlers/create.go: decoder.Decode, then transformDecodeError): type and format errors
// and strict unknown fields are 400 BadRequest "X in version "v1" cannot be handled as a X: ...",
// before any validation. Warn keeps the object (unknown fields dropped) and returns warnings.
import { describe, expect, test } from '@jest/globals';
import { SimError } from '../store/status.js';
import { resourceByKind } from '../store/types.js';
import { decodeObject, dryRunOf, fieldValidationOf, parseBody } from './decode.js';

const pod = (c: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'main', image: 'x', ...c }] } });

function decodeError(kind: string, body: unknown, mode: 'Strict' | 'Warn' = 'Warn'): { code: number; message: string } {
  try {
    decodeObject(body, resourceByKind(kind), mode);
  } catch (err) {
    if (err instanceof SimError) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('decoded without error');
}

describe('400 from decode', () => {
  test.each([
    ['resource.ParseQuantity: format', 'Pod', pod({ resources: { limits: { memory: '4GB' } } }), `Pod in version "v1" cannot be handled as a Pod: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`],
    ['resource.ParseQuantity: suffix', 'Pod', pod({ resources: { limits: { memory: '4GG' } } }), `Pod in version "v1" cannot be handled as a Pod: unable to parse quantity's suffix`],
    ['[]byte fields are base64 (encoding/json)', 'Secret', { metadata: { name: 's' }, data: { k: 'not base64!' } }, 'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3'],
    [
      'encoding/json UnmarshalTypeError: string for int32',
      'Deployment',
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas: '3' } },
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32',
    ],
    ['encoding/json UnmarshalTypeError: number for string', 'Pod', pod({ image: 5 }), 'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal number into Go struct field Container.spec.containers.image of type string'],
    [
      'a Secret sent to the pods endpoint (no conversion Secret -> Pod)',
      'Pod',
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } },
      'Secret in version "v1" cannot be handled as a Pod: converting (v1.Secret) to (core.Pod): unknown conversion',
    ],
    [
      'an unregistered kind',
      'Pod',
      { apiVersion: 'v1', kind: 'Pood', metadata: { name: 's' } },
      'Pood in version "v1" cannot be handled as a Pod: no kind "Pood" is registered for version "v1" in scheme "pkg/api/legacyscheme/scheme.go:30"',
    ],
    [
      "the endpoint's API version (AcceptsGroupVersion)",
      'Deployment',
      { apiVersion: 'apps/v1beta2', kind: 'Deployment', metadata: { name: 'd' } },
      'the API version in the data (apps/v1beta2) does not match the expected API version (apps/v1)',
    ],
  ])('%s', (_rule, kind, body, message) => {
    expect(decodeError(kind, body)).toEqual({ code: 400, message });
  });

  test('fieldValidation=Strict: unknown fields are a strict decoding error naming each, in input order', () => {
    expect(decodeError('Pod', { ...pod({ colour: 'red' }), extra: 1 }, 'Strict')).toEqual({
      code: 400,
      message: 'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.containers[0].colour", unknown field "extra"',
    });
  });

  test('a body that is not JSON is 400 "the object provided is unrecognized"', () => {
    expect(() => parseBody('{nope', 'application/json', resourceByKind('Pod'))).toThrow(/^the object provided is unrecognized \(must be of type Pod\): couldn't get version\/kind; json parse error: /);
  });
});

test('fieldValidation=Warn (the default): unknown fields dropped, one warning each', () => {
  const { object, warnings } = decodeObject({ ...pod({ colour: 'red' }) }, resourceByKind('Pod'), fieldValidationOf(new URLSearchParams()));
  expect(warnings).toEqual(['unknown field "spec.containers[0].colour"']);
  expect(object.spec.containers[0]).toEqual({ name: 'main', image: 'x' });
});

test('fieldValidation and dryRun values are checked (400 / 422 with the real wording)', () => {
  expect(() => fieldValidationOf(new URLSearchParams('fieldValidation=Loud'))).toThrow('fieldValidation must be one of "Ignore", "Warn", or "Strict"');
  expect(dryRunOf(new URLSearchParams('dryRun=All'), 'CreateOptions')).toBe(true);
  expect(() => dryRunOf(new URLSearchParams('dryRun=Bogus'), 'CreateOptions')).toThrow('CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: ["Bogus"]: supported values: "All"');
});
