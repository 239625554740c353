import { UserError } from '../../lib/errors.js';
import {
  normalizeRegistryHost, parseDockerConfig, parseNamedCredentials, resolveCredentials, secretValues, toDockerConfigJson,
} from './credentials.js';

describe('parseNamedCredentials', () => {
  test('YAML with username/password and token entries', () => {
    const text = 'ghcr:\n  registry: ghcr.io\n  username: bot\n  password: p@ss\nhub:\n  registry: https://index.docker.io/v1/\n  token: t0k\n';
    expect(parseNamedCredentials(text)).toEqual([
      { name: 'ghcr', registry: 'ghcr.io', username: 'bot', password: 'p@ss' },
      { name: 'hub', registry: 'docker.io', username: 'token', password: 't0k' },
    ]);
  });
  test('JSON works too, and a token may carry a username', () => {
    expect(parseNamedCredentials('{"gar": {"registry": "europe-docker.pkg.dev", "username": "oauth2accesstoken", "token": "ya29"}}')).toEqual([
      { name: 'gar', registry: 'europe-docker.pkg.dev', username: 'oauth2accesstoken', password: 'ya29' },
    ]);
  });
  test.each([
    ['', []],
    ['   \n', []],
  ])('empty input %j', (text, expected) => {
    expect(parseNamedCredentials(text)).toEqual(expected);
  });
  test.each([
    ['[1, 2]', /expected a mapping of names/],
    ['x: 1', /credentials.x: expected a mapping/],
    ['x: {username: a, password: b}', /'registry' is required/],
    ['x: {registry: r, username: a}', /needs username and password, or token/],
    ['x: {registry: r, username: a, password: ""}', /password is empty \(is the secret set\?\)/],
    ['x: {registry: r, token: ""}', /token is empty/],
    ['x: {registry: r, token: a, password: b}', /either password or token/],
    ['x: {registry: r, token: a, pasword: b}', /unknown field\(s\) pasword/],
    ['"bad name": {registry: r, token: a}', /'bad name' is not a valid name/],
    ['x: {registry: r, token: [1]}', /credentials.x.token: expected a string/],
    ['x: [unclosed', /not valid YAML or JSON/],
  ])('rejects %j', (text, message) => {
    expect(() => parseNamedCredentials(text)).toThrow(UserError);
    expect(() => parseNamedCredentials(text)).toThrow(message);
  });
  test('a YAML error never echoes the secret text', () => {
    expect(() => parseNamedCredentials('x: {registry: r, password: "s3cr3t')).toThrow(/^credentials: not valid YAML or JSON \([^:]*\)$/);
    try {
      parseNamedCredentials('x: {registry: r, password: "s3cr3t');
    } catch (e) {
      expect((e as Error).message).not.toContain('s3cr3t');
    }
  });
});

describe('docker config', () => {
  const config = JSON.stringify({
    auths: {
      'https://index.docker.io/v1/': { auth: Buffer.from('me:pw:with:colons').toString('base64') },
      'ghcr.io': { username: 'u', password: 'p' },
      'registry.example.com': { identitytoken: 'refresh-me' },
      'empty.example.com': {},
    },
    credHelpers: { 'gcr.io': 'gcloud' },
  });
  test('parses auth, username/password and identitytoken; skips entries without secrets', () => {
    expect(parseDockerConfig(config)).toEqual([
      { registry: 'docker.io', username: 'me', password: 'pw:with:colons' },
      { registry: 'ghcr.io', username: 'u', password: 'p' },
      { registry: 'registry.example.com', identityToken: 'refresh-me' },
    ]);
  });
  test.each([
    ['nope', /not valid JSON/],
    ['[]', /expected a JSON object/],
    ['{"auths": 1}', /'auths' must be an object/],
    [JSON.stringify({ auths: { x: { auth: Buffer.from('nocolon').toString('base64') } } }), /not base64 of user:password/],
  ])('rejects %j', (text, message) => {
    expect(() => parseDockerConfig(text)).toThrow(message);
  });
  test('toDockerConfigJson round-trips through parseDockerConfig', () => {
    const logins = [
      { registry: 'docker.io', username: 'me', password: 'pw' },
      { registry: 'ghcr.io', username: 'bot', password: 'x:y' },
      { registry: 'r.example.com', identityToken: 'tok' },
    ];
    const json = toDockerConfigJson(logins);
    expect(JSON.parse(json).auths['https://index.docker.io/v1/'].auth).toBe(Buffer.from('me:pw').toString('base64'));
    expect(parseDockerConfig(json)).toEqual(logins);
  });
});

test('resolveCredentials: by name first, then by host in named credentials, then the docker config', () => {
  const named = [{ name: 'ghcr', registry: 'ghcr.io', username: 'a', password: '1' }];
  const dockerConfig = [{ registry: 'ghcr.io', username: 'b', password: '2' }, { registry: 'quay.io', username: 'c', password: '3' }];
  expect(resolveCredentials('ghcr', { named, dockerConfig })?.username).toBe('a');
  expect(resolveCredentials('ghcr.io', { named, dockerConfig })?.username).toBe('a');
  expect(resolveCredentials('https://quay.io/', { named, dockerConfig })?.username).toBe('c');
  expect(resolveCredentials('nope', { named, dockerConfig })).toBeUndefined();
});

test.each([
  ['ghcr.io', 'ghcr.io'],
  ['https://index.docker.io/v1/', 'docker.io'],
  ['registry-1.docker.io', 'docker.io'],
  ['HTTP://LocalHost:5000/', 'localhost:5000'],
])('normalizeRegistryHost(%j)', (input, expected) => {
  expect(normalizeRegistryHost(input)).toBe(expected);
});

test('secretValues lists passwords, their base64 auth forms and identity tokens', () => {
  expect(secretValues([{ registry: 'r', username: 'u', password: 'p' }, { registry: 's', identityToken: 't' }])).toEqual([
    'p', Buffer.from('u:p').toString('base64'), 't',
  ]);
});
