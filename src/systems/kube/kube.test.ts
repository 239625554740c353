import { describe, expect, test } from '@jest/globals';
import { labelValue, managedLabels, objectName, runSelector } from './labels.js';
import { backoffDelay, isTransient, withRetry, DEFAULT_RETRY } from './retry.js';
import { toKubeError } from './errors.js';
import { dockerConfigSecret, podOwnerReference, redactSecretData } from './manifests.js';

describe('labels', () => {
  test.each([
    ['enterprise-dev', 'enterprise-dev'],
    ['Enterprise Dev!', 'Enterprise-Dev'],
    ['-x-', 'x'],
    ['a'.repeat(80), 'a'.repeat(63)],
  ])('labelValue(%j) = %j', (input, expected) => expect(labelValue(input)).toBe(expected));

  test.each([
    ['build', 'enterprise-dev', 'a1b2c3', 'build-enterprise-dev-a1b2c3'],
    ['build', 'My_Image.v2', 'ff00aa', 'build-my-image-v2-ff00aa'],
    ['build', 'x'.repeat(100), 'abcdef', `build-${'x'.repeat(50)}-abcdef`],
  ])('objectName(%j, %j, %j) = %j', (prefix, text, suffix, expected) => {
    const name = objectName(prefix, text, suffix);
    expect(name).toBe(expected);
    expect(name.length).toBeLessThanOrEqual(63);
  });

  test('managed labels and the run selector agree', () => {
    expect(managedLabels('run 42', { 'app.kubernetes.io/component': 'build' })).toEqual({
      'app.kubernetes.io/managed-by': 'build-image',
      'build-image.coder.com/run-id': 'run-42',
      'app.kubernetes.io/component': 'build',
    });
    expect(runSelector('run 42')).toBe('app.kubernetes.io/managed-by=build-image,build-image.coder.com/run-id=run-42');
  });
});

describe('retry', () => {
  const options = { attempts: 5, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 };
  test.each([
    // attempt, retryAfter, random, expected
    [1, undefined, 1, 100],
    [2, undefined, 1, 200],
    [3, undefined, 0, 300],
    [5, undefined, 1, 1000],
    [9, undefined, 1, 1000],
    [1, 2, 1, 2000],
    [1, 60, 1, 5000],
    [5, 0, 1, 1000],
  ])('attempt %i, Retry-After %j, random %j -> %i ms', (attempt, retryAfter, random, expected) => {
    expect(backoffDelay(attempt, options, retryAfter, () => random)).toBe(expected);
  });

  test.each([
    [{ code: 429 }, true],
    [{ code: 500 }, true],
    [{ code: 503 }, true],
    [{ code: 501 }, false],
    [{ code: 404 }, false],
    [{ code: 409 }, false],
    [{ code: 'ECONNRESET' }, true],
    [new Error('Unexpected server response: 502'), true],
    [new Error('Unexpected server response: 403'), false],
    [new Error('something else'), false],
  ])('isTransient(%j) = %j', (err, expected) => expect(isTransient(err)).toBe(expected));

  test('withRetry stops at the first permanent error and says what it was doing', async () => {
    let calls = 0;
    const err = await withRetry(
      'reading pod ns/p',
      async () => {
        calls++;
        throw Object.assign(new Error('x'), { code: 404, body: JSON.stringify({ kind: 'Status', message: 'pods "p" not found', reason: 'NotFound', code: 404 }) });
      },
      { ...DEFAULT_RETRY, baseDelayMs: 1 },
    ).catch((e: Error) => e);
    expect(calls).toBe(1);
    expect(err.message).toBe('reading pod ns/p: pods "p" not found (NotFound)');
  });
});

describe('errors', () => {
  test.each([
    [{ code: 422, body: '{"kind":"Status","message":"Pod \\"x\\" is invalid: spec.containers: Required value","reason":"Invalid"}' }, 'creating pod ns/x: Pod "x" is invalid: spec.containers: Required value (Invalid)'],
    [{ code: 401, body: undefined }, 'creating pod ns/x: Unauthorized: the credentials were rejected'],
    [{ code: 500, body: 'not json' }, 'creating pod ns/x: HTTP 500'],
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' }), 'creating pod ns/x: cannot reach the Kubernetes API server (connect ECONNREFUSED 127.0.0.1:6443)'],
  ])('toKubeError(%j)', (err, expected) => expect(toKubeError(err, 'creating pod ns/x').message).toBe(expected));
});

describe('manifests', () => {
  test('a docker-config secret carries the config base64-encoded, and redacts for printing', () => {
    const secret = dockerConfigSecret({ name: 'creds', namespace: 'b', labels: { a: 'b' }, dockerConfigJson: '{"auths":{}}', ownerReferences: [podOwnerReference({ name: 'runner', uid: 'u1' })] });
    expect(secret).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'creds', namespace: 'b', labels: { a: 'b' }, ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'runner', uid: 'u1', blockOwnerDeletion: false, controller: false }] },
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': Buffer.from('{"auths":{}}').toString('base64') },
    });
    expect(redactSecretData(secret).data).toEqual({ '.dockerconfigjson': '<redacted>' });
  });
});
