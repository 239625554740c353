import { UserError } from '../../lib/errors.js';
import { normalizeRegistryHost, parseDockerConfig, parseNamedCredentials, resolveCredentials, secretValues, toDockerConfigJson } from './credentials.js';

describe('parseNamedCredentials', () => {
  test('the block form: username/password and token entries', () => {
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

  // What a workflow produces when `${{ github.actor }}` and `${{ secrets.X }}` are substituted.
  const hostile = ['p,ss', 'p}ss', 'pa #ss', 'p*ss', '*alias', '"quoted"', "it's", '& anchor', '- dash', '[list]', '{flow}', 'key: value', ': ', ' leading and trailing ', '#hash', '!tag', '%', '|', '>', `all , } # * " ' at once`];
  test.each(hostile)('block form keeps the password %j exactly, with the actor dependabot[bot]', (password) => {
    const text = `ghcr:\n  registry: ghcr.io\n  username: dependabot[bot]\n  password: ${password}\n`;
    expect(parseNamedCredentials(text)).toEqual([{ name: 'ghcr', registry: 'ghcr.io', username: 'dependabot[bot]', password }]);
  });
  test.each([...hostile, 'line one\nline two', 'ends with a newline\n', '\\backslash \u00e9 \t tab'])('JSON form (toJSON) keeps the password %j exactly', (password) => {
    const text = `{"ghcr": {"registry": "ghcr.io", "username": ${JSON.stringify('dependabot[bot]')}, "password": ${JSON.stringify(password)}}}`;
    expect(parseNamedCredentials(text)).toEqual([{ name: 'ghcr', registry: 'ghcr.io', username: 'dependabot[bot]', password }]);
  });
  test('Windows line ends and blank lines are fine', () => {
    expect(parseNamedCredentials('a:\r\n  registry: r\r\n\r\n  token: t\r\n')).toEqual([{ name: 'a', registry: 'r', username: 'token', password: 't' }]);
  });
  test.each([
    ['', []],
    ['   \n', []],
  ])('empty input %j', (text, expected) => {
    expect(parseNamedCredentials(text)).toEqual(expected);
  });
  test.each([
    ['x:\n  username: a\n  password: b', /credentials.x \(line 1\): 'registry' is required/],
    ['x:\n  registry: r\n  username: a', /needs username and password, or token/],
    ['x:\n  registry: r\n  username: a\n  password: ', /password is empty \(is the secret set\?\)/],
    ['x:\n  registry: r\n  token:', /token is empty/],
    ['x:\n  registry: r\n  token: a\n  password: b', /either password or token/],
    ['x:\n  registry: r\n  token: a\n  pasword: b', /credentials.x line 4: unknown field\(s\) pasword/],
    ['x:\n  registry: r\n  registry: s', /'registry' is given twice/],
    ['x:\n  registry: r\n  token: a\nx:\n  registry: r\n  token: b', /'x' is given twice/],
    ['bad name:\n  registry: r', /line 1: expected a credential name/],
    ['  registry: r', /line 1: a field before any credential name/],
    ['x:', /credentials.x \(line 1\): no fields/],
    ['x: {registry: r, username: a, password: b}', /line 1: write one field per line under 'x:'/],
    ['{"x": {"registry": "r", "token": [1]}}', /credentials.x.token: expected a string/],
    ['{"x": {"registry": "r", "pasword": "b"}}', /unknown field\(s\) pasword/],
    ['[1, 2]', /line 1: expected a credential name/],
    ['{"x": 1}', /credentials.x: expected an object/],
  ])('rejects %j', (text, message) => {
    expect(() => parseNamedCredentials(text)).toThrow(UserError);
    expect(() => parseNamedCredentials(text)).toThrow(message);
  });
  test.each([
    ['a password line with a newline continues on a line of its own', 'ghcr:\n  registry: ghcr.io\n  username: u\n  password: s3cr3t-one\ns3cr3t-two, } # "\n'],
    ['an indented continuation', 'ghcr:\n  registry: ghcr.io\n  password: s3cr3t-one\n  s3cr3t-two: s3cr3t-three\n'],
    ['the old one-line form', 'ghcr: {registry: ghcr.io, username: dependabot[bot], password: s3cr3t, two}'],
    ['JSON that does not parse', '{"ghcr": {"registry": "ghcr.io", "password": "s3cr3t\n"}}'],
    ['a JSON key that is a secret', '{"s3cr3t-one two": {}}'],
    ['a continuation line that looks like a field', 'ghcr:\n  registry: ghcr.io\n  password: first\n  secretpart: rest\n'],
  ])('a parse error never prints a value: %s', (_title, text) => {
    let message = '';
    try {
      parseNamedCredentials(text);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^credentials/);
    expect(message).not.toMatch(/s3cr3t|secretpart|rest/);
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
  const dockerConfig = [
    { registry: 'ghcr.io', username: 'b', password: '2' },
    { registry: 'quay.io', username: 'c', password: '3' },
  ];
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
  expect(
    secretValues([
      { registry: 'r', username: 'u', password: 'p' },
      { registry: 's', identityToken: 't' },
    ]),
  ).toEqual(['p', Buffer.from('u:p').toString('base64'), 't']);
});
