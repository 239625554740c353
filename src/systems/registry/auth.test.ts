import { Authenticator, mergeScopes, parseChallenges, repositoryScope } from './auth.js';
import { nextLink } from './client.js';
import { backoffDelay, retryAfterSeconds } from '../../lib/retry.js';

test.each([
  [
    'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"',
    [{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } }],
  ],
  ['Basic realm="Registry Realm"', [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]],
  ['Bearer realm="x", error="insufficient_scope", scope="repository:a:pull,push"', [{ scheme: 'bearer', params: { realm: 'x', error: 'insufficient_scope', scope: 'repository:a:pull,push' } }]],
  [
    'Basic realm="a\\"b", Bearer realm=tok',
    [
      { scheme: 'basic', params: { realm: 'a"b' } },
      { scheme: 'bearer', params: { realm: 'tok' } },
    ],
  ],
  ['', []],
])('parseChallenges(%j)', (header, expected) => {
  expect(parseChallenges(header)).toEqual(expected);
});

test('mergeScopes joins actions per resource', () => {
  expect(mergeScopes([repositoryScope('a', ['pull']), repositoryScope('a', ['push', 'pull']), 'repository:b:pull', 'registry:catalog:*'])).toEqual(['registry:catalog:*', 'repository:a:pull,push', 'repository:b:pull']);
});

test.each([
  ['</v2/a/tags/list?last=t1&n=2>; rel="next"', '/v2/a/tags/list?last=t1&n=2'],
  ['<https://r/v2/x?n=1>; rel="prev", <https://r/v2/y?n=1>; rel="next"', 'https://r/v2/y?n=1'],
  [undefined, undefined],
  ['<a>; rel="prev"', undefined],
])('nextLink(%j)', (link, expected) => {
  expect(nextLink(link)).toBe(expected);
});

test('backoff is capped and honours Retry-After up to the cap', () => {
  const b = { attempts: 10, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 1000 };
  for (let i = 1; i < 10; i++) expect(backoffDelay(i, b)).toBeLessThanOrEqual(1000);
  expect(backoffDelay(1, b, retryAfterSeconds('0.5'))).toBe(500);
  expect(backoffDelay(1, b, retryAfterSeconds('60'))).toBe(1000);
  expect(retryAfterSeconds('Wed, 21 Oct 2015 07:28:00 GMT')).toBeUndefined();
});

describe('Authenticator', () => {
  const challenge = 'Bearer realm="https://auth/token",service="svc"';
  test('fetches one token per scope set, shares it between concurrent requests, refreshes it when it expires', async () => {
    let now = 0;
    const requests: string[][] = [];
    const auth = new Authenticator(
      () => ({ registry: 'r', username: 'u', password: 'p' }),
      async (_realm, params) => {
        requests.push(params.scopes);
        return { token: `t${requests.length}`, expiresIn: 100 };
      },
      () => now,
    );
    const pull = [repositoryScope('a', ['pull'])];
    expect(await auth.headers('r', pull)).toEqual({});
    await auth.challenged('r', challenge, pull, false);
    const [h1, h2] = await Promise.all([auth.headers('r', pull), auth.headers('r', pull)]);
    expect(h1).toEqual({ Authorization: 'Bearer t1' });
    expect(h2).toEqual({ Authorization: 'Bearer t1' });
    expect(await auth.headers('r', [repositoryScope('a', ['pull', 'push'])])).toEqual({ Authorization: 'Bearer t2' });
    now = 85_000; // not yet within 10 s of expiry
    expect(await auth.headers('r', pull)).toEqual({ Authorization: 'Bearer t1' });
    now = 95_000; // within the 10 s refresh margin of the 100 s lifetime
    expect(await auth.headers('r', pull)).toEqual({ Authorization: 'Bearer t3' });
    expect(requests).toEqual([['repository:a:pull'], ['repository:a:pull,push'], ['repository:a:pull']]);
  });
  test('basic: a second refusal is a wrong password; no login is a clear error', async () => {
    const auth = new Authenticator(
      () => ({ registry: 'r', username: 'u', password: 'p' }),
      async () => ({ token: 'x' }),
    );
    await auth.challenged('r', 'Basic realm="x"', [], false);
    expect(await auth.headers('r', [])).toEqual({ Authorization: `Basic ${Buffer.from('u:p').toString('base64')}` });
    await expect(auth.challenged('r', 'Basic realm="x"', [], true)).rejects.toThrow(/authentication failed for user 'u'/);
    const anonymous = new Authenticator(
      () => undefined,
      async () => ({ token: 'x' }),
    );
    await expect(anonymous.challenged('r', 'Basic realm="x"', [], false)).rejects.toThrow(/requires a login and no credentials/);
  });
});
