import { LayeredTree, checkUser, evaluateMinimums, type TreeEntry } from './minimums.js';

const file = (path: string, mode = 0o755, size = 10): TreeEntry => ({ path, type: 'file', mode, size });
const link = (path: string, linkname: string): TreeEntry => ({ path, type: 'symlink', linkname });
const dir = (path: string): TreeEntry => ({ path, type: 'directory' });

function tree(...layers: TreeEntry[][]): LayeredTree {
  const t = new LayeredTree();
  for (const l of layers) t.applyLayer(l);
  return t;
}

describe('LayeredTree', () => {
  test.each<[string, TreeEntry[][], string, string | undefined]>([
    ['a plain file', [[file('bin/sh')]], '/bin/sh', '/bin/sh'],
    ['./-prefixed names', [[file('./bin/sh')]], '/bin/sh', '/bin/sh'],
    ['a relative symlink', [[file('bin/busybox'), link('bin/sh', 'busybox')]], '/bin/sh', '/bin/busybox'],
    ['an absolute symlink', [[file('bin/busybox'), link('bin/sh', '/bin/busybox')]], '/bin/sh', '/bin/busybox'],
    ['a symlinked directory (merged /usr)', [[link('bin', 'usr/bin'), file('usr/bin/bash')], [link('usr/bin/sh', 'bash')]], '/bin/sh', '/usr/bin/bash'],
    ['.. in a link', [[file('usr/lib/git-core/git'), link('usr/bin/git', '../lib/git-core/git')]], '/usr/bin/git', '/usr/lib/git-core/git'],
    ['a dangling symlink', [[link('bin/sh', 'busybox')]], '/bin/sh', undefined],
    ['a symlink loop', [[link('a', 'b'), link('b', 'a')]], '/a', undefined],
    ['a whiteout in a later layer deletes the file', [[file('usr/bin/git')], [{ path: 'usr/bin/.wh.git', type: 'file' }]], '/usr/bin/git', undefined],
    ['a whiteout of a directory deletes its contents', [[file('opt/x/bin/tool')], [{ path: 'opt/.wh.x', type: 'file' }]], '/opt/x/bin/tool', undefined],
    ['a whiteout then re-add in a later layer', [[file('a/f')], [{ path: 'a/.wh.f', type: 'file' }], [file('a/f')]], '/a/f', '/a/f'],
    ['a whiteout does not remove what its own layer adds', [[file('a/f')], [{ path: 'a/.wh.f', type: 'file' }, file('a/f')]], '/a/f', '/a/f'],
    ['an opaque directory hides lower contents', [[file('etc/ssl/old.pem')], [dir('etc/ssl'), { path: 'etc/ssl/.wh..wh..opq', type: 'file' }, file('etc/ssl/new.pem')]], '/etc/ssl/old.pem', undefined],
    ["an opaque directory keeps its own layer's files", [[file('etc/ssl/old.pem')], [{ path: 'etc/ssl/.wh..wh..opq', type: 'file' }, file('etc/ssl/new.pem')]], '/etc/ssl/new.pem', '/etc/ssl/new.pem'],
    ['a file replacing a symlink', [[file('bin/busybox'), link('bin/sh', 'busybox')], [file('bin/sh')]], '/bin/sh', '/bin/sh'],
    ['a hard link', [[file('usr/bin/git'), { path: 'usr/libexec/git', type: 'link', linkname: 'usr/bin/git' }]], '/usr/libexec/git', '/usr/libexec/git'],
    ['a file under a file is not a path', [[file('bin')]], '/bin/sh', undefined],
  ])('%s', (_name, layers, path, expected) => {
    expect(tree(...layers).resolve(path)?.path).toBe(expected);
  });
});

describe('checkUser', () => {
  const passwd = 'root:x:0:0::/root:/bin/sh\ncoder:x:1000:1000::/home/coder:/bin/sh\ntoor:x:0:0::/:/bin/sh\n';
  test.each<[string | undefined, string | undefined, boolean, RegExp]>([
    [undefined, passwd, false, /no USER/],
    ['', passwd, false, /no USER/],
    ['root', passwd, false, /root/],
    ['0', passwd, false, /root/],
    ['0:0', passwd, false, /root/],
    ['1000', undefined, true, /USER 1000/],
    ['1000:1000', passwd, true, /USER 1000:1000/],
    ['coder', passwd, true, /uid 1000/],
    ['coder:coder', passwd, true, /uid 1000/],
    ['toor', passwd, false, /uid 0/],
    ['ghost', passwd, false, /not in \/etc\/passwd/],
    ['coder', undefined, false, /no \/etc\/passwd/],
  ])('USER %j', (user, pw, passed, detail) => {
    const r = checkUser(user, pw);
    expect(r.passed).toBe(passed);
    expect(r.detail).toMatch(detail);
  });
});

test('evaluateMinimums: every rule, with PATH from the config', () => {
  const t = tree([file('bin/busybox'), link('bin/sh', 'busybox'), file('opt/git/bin/git')], [file('etc/ssl/certs/ca-certificates.crt', 0o644, 200000)]);
  const results = evaluateMinimums(t, { config: { User: '1000', Env: ['PATH=/opt/git/bin:/bin'] } }, undefined);
  expect(results.map((r) => [r.id, r.passed, r.detail])).toEqual([
    ['shell', true, '/bin/sh -> /bin/busybox'],
    ['download-tool', true, '/bin/busybox'],
    ['git', true, '/opt/git/bin/git'],
    ['ca-certificates', true, '/etc/ssl/certs/ca-certificates.crt'],
    ['non-root-user', true, 'USER 1000'],
  ]);
});

test('evaluateMinimums: a non-executable file or an empty CA bundle does not count', () => {
  const t = tree([file('bin/sh', 0o644), file('usr/bin/curl', 0o644), file('etc/ssl/cert.pem', 0o644, 0)]);
  const results = evaluateMinimums(t, {}, undefined);
  expect(results.filter((r) => r.passed)).toEqual([]);
});
