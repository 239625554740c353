import { budArgs, fromArgs, loginsFor, parseSmokeLine, pushArgs, runArgs, smokeScript, splitDestinations, storageDirFor } from './builder.js';
import type { BuildRequest } from '../types.js';

const files = { dockerfile: '/tmp/x/Dockerfile', digestFile: (i: number) => `/tmp/x/digest-${i}` };
const D = `sha256:${'1'.repeat(64)}`;

function request(extra: Partial<BuildRequest> = {}): BuildRequest {
  return {
    name: 'golden',
    contextDir: '/repo/images/golden',
    dockerfile: `FROM 127.0.0.1:5000/acme/base@${D}\nRUN true\n`,
    destinations: ['127.0.0.1:5000/acme/golden:test', 'ghcr.io/acme/golden:test'],
    buildArgs: { Z: 'last', A: 'first' },
    labels: { 'org.opencontainers.image.revision': 'abc', 'org.coder.build-image.inputs': 'ff' },
    insecureRegistries: ['127.0.0.1:5000'],
    log: () => undefined,
    ...extra,
  };
}

test.each([
  [
    'an insecure parent turns TLS verification off; args and labels sorted',
    request(),
    [
      'bud',
      '--isolation',
      'chroot',
      '--format',
      'docker',
      '--file',
      '/tmp/x/Dockerfile',
      '--tag',
      'localhost/build-image/golden:n',
      '--build-arg',
      'A=first',
      '--build-arg',
      'Z=last',
      '--label',
      'org.coder.build-image.inputs=ff',
      '--label',
      'org.opencontainers.image.revision=abc',
      '--tls-verify=false',
      '/repo/images/golden',
    ],
  ],
  [
    'a parent pinned through a build argument counts too',
    request({ dockerfile: 'ARG BASE\nFROM ${BASE}\n', buildArgs: { BASE: `127.0.0.1:5000/acme/base@${D}` }, labels: {} }),
    ['bud', '--isolation', 'chroot', '--format', 'docker', '--file', '/tmp/x/Dockerfile', '--tag', 'localhost/build-image/golden:n', '--build-arg', `BASE=127.0.0.1:5000/acme/base@${D}`, '--tls-verify=false', '/repo/images/golden'],
  ],
  [
    'secure registries keep TLS verification; an auth file is passed by path',
    request({ dockerfile: 'FROM ghcr.io/acme/base@' + D + '\n', buildArgs: {}, labels: {} }),
    ['bud', '--isolation', 'chroot', '--format', 'docker', '--file', '/tmp/x/Dockerfile', '--tag', 'localhost/build-image/golden:n', '--authfile', '/tmp/x/auth.json', '/repo/images/golden'],
  ],
])('budArgs: %s', (title, req, expected) => {
  const withAuth = title.includes('auth file') ? { ...files, authFile: '/tmp/x/auth.json' } : files;
  expect(budArgs(req, withAuth, 'localhost/build-image/golden:n')).toEqual(expected);
});

test('one push per destination, TLS verification off only for insecure hosts', () => {
  expect(pushArgs(request(), files, 'local:n')).toEqual([
    ['push', '--format', 'v2s2', '--digestfile', '/tmp/x/digest-0', '--tls-verify=false', 'local:n', 'docker://127.0.0.1:5000/acme/golden:test'],
    ['push', '--format', 'v2s2', '--digestfile', '/tmp/x/digest-1', 'local:n', 'docker://ghcr.io/acme/golden:test'],
  ]);
});

test('smoke: a working container from the digest, then each command through /bin/sh', () => {
  expect(fromArgs({ image: `127.0.0.1:5000/acme/golden@${D}`, insecureRegistries: ['127.0.0.1:5000'] }, 'c1', '/a.json')).toEqual([
    'from',
    '--pull',
    '--name',
    'c1',
    '--tls-verify=false',
    '--authfile',
    '/a.json',
    `127.0.0.1:5000/acme/golden@${D}`,
  ]);
  expect(runArgs('c1', 'git --version')).toEqual(['run', '--isolation', 'chroot', 'c1', '--', '/bin/sh', '-c', 'git --version']);
});

test('logins: the requested credential first, then the others, one per registry', () => {
  const named = [
    { name: 'ghcr', registry: 'ghcr.io', username: 'a', password: 'p1' },
    { name: 'other', registry: 'ghcr.io', username: 'b', password: 'p2' },
    { name: 'hub', registry: 'docker.io', username: 'c', password: 'p3' },
  ];
  const dockerConfig = [
    { registry: 'quay.io', username: 'd', password: 'p4' },
    { registry: 'docker.io', username: 'e', password: 'p5' },
  ];
  expect(loginsFor({ named, dockerConfig }, 'other')!.map((l) => l.username)).toEqual(['b', 'c', 'd', 'e']);
  expect(loginsFor({ named, dockerConfig }, undefined)!.map((l) => l.username)).toEqual(['a', 'b', 'c', 'd']);
  expect(loginsFor(undefined, undefined)).toBeUndefined();
  expect(() => loginsFor({ named }, 'nope')).toThrow("no credentials named 'nope' (known: ghcr, other, hub)");
});

test('the private storage directory is named after the run', () => {
  expect(storageDirFor('77-1-Abc', '/tmp')).toBe('/tmp/build-image-77-1-abc');
});

test.each([
  [
    'one repository: one push, the other tags get the manifest',
    ['r/acme/a:test', 'r/acme/a:abc', 'r/acme/a:main'],
    ['r/acme/a:test'],
    [
      ['r/acme/a:test', 'r/acme/a:abc'],
      ['r/acme/a:test', 'r/acme/a:main'],
    ],
  ],
  ['two registries: one push each', ['r/acme/a:test', 'ghcr.io/acme/a:test', 'r/acme/a:abc'], ['r/acme/a:test', 'ghcr.io/acme/a:test'], [['r/acme/a:test', 'r/acme/a:abc']]],
  ['a single destination', ['r/acme/a:test'], ['r/acme/a:test'], []],
])('splitDestinations: %s', (_title, destinations, push, retag) => {
  expect(splitDestinations(destinations)).toEqual({ push, retag: retag.map(([from, to]) => ({ from, to })) });
});

test('the smoke script frames each command with its index and exit code, quoting the commands', () => {
  const script = smokeScript([{ run: 'echo hi' }, { run: "grep -q 'x' /etc/motd" }], '::m::', 2);
  expect(script.split('\n')).toEqual([
    `__bi_mark() { printf '\\n%s %s\\n' '::m::' "$*"; }`,
    `__bi_mark start 2; /bin/sh -c 'echo hi' </dev/null 2>&1; __bi_status=$?; __bi_mark end 2 $__bi_status`,
    `__bi_mark start 3; /bin/sh -c 'grep -q '\\''x'\\'' /etc/motd' </dev/null 2>&1; __bi_status=$?; __bi_mark end 3 $__bi_status`,
    'exit $__bi_status',
  ]);
});

test.each([
  ['::m:: start 3', { kind: 'start', index: 3 }],
  ['::m:: end 3 127', { kind: 'end', index: 3, exitCode: 127 }],
  ['hello', { kind: 'output', text: 'hello' }],
  ['::other:: end 3 0', { kind: 'output', text: '::other:: end 3 0' }],
  ['say ::m:: end 3 0', { kind: 'output', text: 'say ::m:: end 3 0' }],
])('parseSmokeLine(%p)', (line, expected) => {
  expect(parseSmokeLine(line, '::m::')).toEqual(expected);
});
