// `build-image secret` against real files and real age keys (age-keygen): every subcommand,
// the tamper corpus (each case exit 1, one line, nothing decrypted written), and no clear value
// in any output except what `show` is asked to print.
import { afterAll, beforeEach, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';

const base = mkdtempSync(join(tmpdir(), 'secret-cli-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

function keygen(name: string): { file: string; recipient: string; identity: string } {
  const file = join(base, name);
  execFileSync('age-keygen', ['-o', file], { stdio: 'ignore' });
  const identity = readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('AGE-SECRET-KEY-1'))!;
  return { file, identity, recipient: execFileSync('age-keygen', ['-y', file], { encoding: 'utf8' }).trim() };
}
const alice = keygen('alice.txt');
const bob = keygen('bob.txt');
const carol = keygen('carol.txt');

// Clear values that must never show up where they are not asked for.
const PASSWORD = 'pw-Zq8x1-never-logged';
const USER = 'user-Kp3w9-never-logged';
const CERT = 'cert-Hv7m2-never-logged\nsecond line\n';
const CLEAR = [PASSWORD, USER, 'cert-Hv7m2-never-logged', 'new-cert-Hv7m2', alice.identity, bob.identity, carol.identity];

let repo: string;
const outputs: string[] = [];

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SOPS_AGE')));
  const code = await main(args, { out: (t) => (stdout += t), err: (t) => (stderr += t), cwd: repo, env: { ...clean, XDG_CONFIG_HOME: join(base, 'no-config'), ...env } });
  outputs.push(stderr, args[0] === 'secret' && args[1] === 'show' ? '' : stdout);
  return { code, stdout, stderr };
}

const file = (name = 'db') => join(repo, '.coder', 'secrets', `${name}.yaml`);
const read = (name = 'db') => readFileSync(file(name), 'utf8');
const as = (who: { file: string }) => ['--identity', who.file];

async function createDb(recipients = [alice.recipient, bob.recipient]): Promise<void> {
  writeFileSync(join(repo, 'cert.pem'), CERT);
  const r = await cli(['secret', 'create', 'db', '--from-literal', `password=${PASSWORD}`, '--from-literal', `user=${USER}`, '--from-file', 'cert=cert.pem', ...recipients.flatMap((x) => ['--recipient', x])]);
  expect(r).toEqual({ code: 0, stdout: `created secret 'db' (.coder/secrets/db.yaml): 3 keys, encrypted to ${recipients.length} recipient${recipients.length === 1 ? '' : 's'}\n`, stderr: '' });
}

beforeEach(() => {
  repo = mkdtempSync(join(base, 'repo-'));
});

afterAll(() => {
  // The guard over every test in this file: no clear value in any output.
  const all = outputs.join('\n');
  for (const clear of CLEAR) expect(all).not.toContain(clear);
  expect(outputs.length).toBeGreaterThan(40);
});

describe('commands', () => {
  test('create writes a sops file with no clear value; show prints values with each way of giving the key', async () => {
    await createDb();
    const text = read();
    for (const clear of CLEAR) expect(text).not.toContain(clear);
    expect(text).toMatch(/^password: ENC\[AES256_GCM,data:[^\n]+,type:str\]\nuser: ENC\[[^\n]+\ncert: ENC\[/);
    expect(text).toContain(`recipient: ${alice.recipient}`);
    expect(text).toContain(`recipient: ${bob.recipient}`);
    const expected = `password: ${PASSWORD}\nuser: ${USER}\ncert: |\n  cert-Hv7m2-never-logged\n  second line\n`;
    expect(await cli(['secret', 'show', 'db', ...as(alice)])).toEqual({ code: 0, stdout: expected, stderr: '' });
    expect((await cli(['secret', 'show', 'db'], { SOPS_AGE_KEY_FILE: bob.file })).stdout).toBe(expected);
    expect((await cli(['secret', 'show', 'db'], { SOPS_AGE_KEY: `${alice.identity}\n` })).stdout).toBe(expected);
    // the sops default key file, ~/.config/sops/age/keys.txt (here under XDG_CONFIG_HOME)
    const config = join(repo, 'config');
    mkdirSync(join(config, 'sops', 'age'), { recursive: true });
    writeFileSync(join(config, 'sops', 'age', 'keys.txt'), readFileSync(bob.file));
    expect((await cli(['secret', 'show', 'db'], { XDG_CONFIG_HOME: config })).stdout).toBe(expected);
    expect((await cli(['secret', 'show', 'db'], { SOPS_AGE_KEY_FILE: join(repo, 'missing.txt') })).stderr).toBe(`build-image secret: cannot read SOPS_AGE_KEY_FILE ${join(repo, 'missing.txt')}: no such file\n`);
    expect(await cli(['secret', 'show', 'db', '--key', 'password', ...as(alice)])).toEqual({ code: 0, stdout: `${PASSWORD}\n`, stderr: '' });
    expect((await cli(['secret', 'show', 'db', '--key', 'cert', ...as(alice)])).stdout).toBe(CERT);
    expect(await cli(['secret', 'show', 'db', '--key', 'nope', ...as(alice)])).toEqual({ code: 1, stdout: '', stderr: "build-image secret: secret 'db' (.coder/secrets/db.yaml) has no key 'nope' (keys: password, user, cert)\n" });
  });

  test('create takes recipients from --recipients-file or .coder/secrets/.recipients, and refuses bad input', async () => {
    mkdirSync(join(repo, '.coder', 'secrets'), { recursive: true });
    writeFileSync(join(repo, '.coder', 'secrets', '.recipients'), `# team\n${alice.recipient}  # alice\n\n${carol.recipient}\n`);
    expect((await cli(['secret', 'create', 'a', '--from-literal', `k=${PASSWORD}`])).code).toBe(0);
    expect(read('a')).toContain(carol.recipient);
    writeFileSync(join(base, 'list'), `${bob.recipient}\n`);
    expect((await cli(['secret', 'create', 'b', '--from-literal', 'k=v', '--recipients-file', join(base, 'list')])).code).toBe(0);
    expect(read('b')).toContain(bob.recipient);
    expect(read('b')).not.toContain(alice.recipient);
    const refusals: [string[], number, string][] = [
      [['secret', 'create', 'a', '--from-literal', 'k=v'], 1, "secret 'a' (.coder/secrets/a.yaml) exists already; change it with 'build-image secret set|unset|edit a'"],
      [['secret', 'create', 'Bad_Name', '--from-literal', 'k=v'], 1, "invalid secret name 'Bad_Name'"],
      [['secret', 'create', 'c', '--from-literal', 'bad key=v'], 1, "invalid key name 'bad key'"],
      [['secret', 'create', 'c', '--from-literal', `nokey${PASSWORD}`], 2, "secret: --from-literal expects KEY=VALUE (no '=' in it)"],
      [['secret', 'create', 'c', '--from-literal', 'k=v', '--recipient', 'age1nope'], 1, "not a valid age recipient: 'age1nope'"],
      [['secret', 'create', 'c', '--from-file', 'k=/nonexistent'], 1, '--from-file k=/nonexistent: no such file'],
      [['secret', 'create', 'c'], 1, 'secret needs at least one key'],
      [['secret', 'frobnicate', 'c'], 2, "unknown subcommand 'frobnicate'"],
      [['secret', 'show', 'c', '--recipient', alice.recipient], 2, '--recipient does not apply here'],
      [['secret', 'show', 'missing', ...as(alice)], 1, "secret 'missing' (.coder/secrets/missing.yaml) does not exist"],
    ];
    for (const [args, code, message] of refusals) {
      const r = await cli(args);
      expect([r.code, r.stdout]).toEqual([code, '']);
      expect(r.stderr).toContain(message);
    }
    rmSync(join(repo, '.coder', 'secrets', '.recipients'));
    expect((await cli(['secret', 'create', 'd', '--from-literal', 'k=v'])).stderr).toContain('no recipients for');
  });

  test('set and unset change only the lines of the keys they touch', async () => {
    await createDb();
    const before = read().split('\n');
    expect(await cli(['secret', 'set', 'db', `user=${USER}-2`, 'extra=1', ...as(bob)])).toEqual({ code: 0, stdout: "updated secret 'db' (.coder/secrets/db.yaml): user, extra\n", stderr: '' });
    const after = read().split('\n');
    expect(after[0]).toBe(before[0]); // password kept its ciphertext
    expect(after[2]).toBe(before[2]); // so did cert
    expect(after[1]).not.toBe(before[1]);
    expect(after[3]).toMatch(/^extra: ENC\[/);
    expect((await cli(['secret', 'set', 'db', 'extra=1', ...as(bob)])).stdout).toBe("secret 'db' (.coder/secrets/db.yaml): no change\n");
    writeFileSync(join(repo, 'new-cert.pem'), 'new-cert-Hv7m2\n');
    expect((await cli(['secret', 'set', 'db', '--from-file', 'cert=new-cert.pem', ...as(bob)])).stdout).toBe("updated secret 'db' (.coder/secrets/db.yaml): cert\n");
    expect((await cli(['secret', 'show', 'db', '--key', 'cert', ...as(alice)])).stdout).toBe('new-cert-Hv7m2\n');
    expect(await cli(['secret', 'unset', 'db', 'extra', ...as(alice)])).toEqual({ code: 0, stdout: "updated secret 'db' (.coder/secrets/db.yaml): removed extra\n", stderr: '' });
    expect((await cli(['secret', 'show', 'db', '--key', 'user', ...as(alice)])).stdout).toBe(`${USER}-2\n`);
    expect((await cli(['secret', 'unset', 'db', 'nope', ...as(alice)])).stderr).toBe("build-image secret: secret 'db' (.coder/secrets/db.yaml) has no key 'nope'\n");
  });

  test('edit runs $EDITOR on a 0600 temporary file that is gone afterwards; only the edited value changes', async () => {
    await createDb();
    const before = read().split('\n');
    const log = join(base, 'editor.log');
    const editor = join(base, 'editor.sh');
    writeFileSync(editor, `#!/bin/sh\nstat -c '%a %n' "$1" > ${log}\nstat -c '%a' "$(dirname "$1")" >> ${log}\nsed -i 's/^user: .*/user: edited-user/; $a port: 5432' "$1"\n`);
    chmodSync(editor, 0o755);
    expect(await cli(['secret', 'edit', 'db', ...as(alice)], { EDITOR: editor })).toEqual({ code: 0, stdout: "updated secret 'db' (.coder/secrets/db.yaml): user, port\n", stderr: '' });
    const [fileLine, dirMode] = readFileSync(log, 'utf8').trim().split('\n');
    const [mode, tempPath] = fileLine!.split(' ');
    expect(mode).toBe('600');
    expect(dirMode).toBe('700');
    expect(existsSync(tempPath!)).toBe(false);
    const after = read().split('\n');
    expect(after[0]).toBe(before[0]);
    expect(after[2]).toBe(before[2]);
    expect(after[1]).not.toBe(before[1]);
    expect(after[3]).toMatch(/^port: ENC\[AES256_GCM,.*type:int\]$/);
    expect((await cli(['secret', 'show', 'db', '--key', 'port', ...as(bob)])).stdout).toBe('5432\n');
    // an editor that fails, or leaves broken YAML, changes nothing and leaves no file behind
    const saved = read();
    writeFileSync(editor, `#!/bin/sh\necho "$1" > ${log}\nexit 3\n`);
    expect(await cli(['secret', 'edit', 'db', ...as(alice)], { EDITOR: editor })).toEqual({ code: 1, stdout: '', stderr: `build-image secret: the editor (${editor}) exited with 3; nothing changed\n` });
    expect(existsSync(readFileSync(log, 'utf8').trim())).toBe(false);
    writeFileSync(editor, `#!/bin/sh\necho "$1" > ${log}\nprintf 'a: [\\n' > "$1"\n`);
    const broken = await cli(['secret', 'edit', 'db', ...as(alice)], { EDITOR: editor });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^build-image secret: secret 'db' \(\.coder\/secrets\/db\.yaml\) \(edited\):\d+:\d+: YAML syntax error/);
    expect(existsSync(readFileSync(log, 'utf8').trim())).toBe(false);
    expect(read()).toBe(saved);
  });

  test('updatekeys re-encrypts only the data key; rotate re-encrypts everything', async () => {
    await createDb([alice.recipient]);
    const before = read();
    const valueLines = (t: string) => t.split('\n').slice(0, 3);
    writeFileSync(join(repo, '.coder', 'secrets', '.recipients'), `${bob.recipient}\n${carol.recipient}\n`);
    expect(await cli(['secret', 'updatekeys', 'db', ...as(alice)])).toEqual({
      code: 0,
      stdout: `updated secret 'db' (.coder/secrets/db.yaml): +${bob.recipient} +${carol.recipient} -${alice.recipient}\n`,
      stderr: '',
    });
    expect(valueLines(read())).toEqual(valueLines(before));
    expect((await cli(['secret', 'show', 'db', '--key', 'password', ...as(carol)])).stdout).toBe(`${PASSWORD}\n`);
    expect((await cli(['secret', 'show', 'db', ...as(alice)])).stderr).toBe(`build-image secret: secret 'db' (.coder/secrets/db.yaml): encrypted to ${bob.recipient}, ${carol.recipient}; your identity is ${alice.recipient}\n`);
    expect((await cli(['secret', 'updatekeys', 'db', ...as(bob)])).stdout).toBe("secret 'db' (.coder/secrets/db.yaml): recipients unchanged\n");
    const beforeRotate = read();
    expect(await cli(['secret', 'rotate', 'db', ...as(bob)])).toEqual({ code: 0, stdout: "rotated secret 'db' (.coder/secrets/db.yaml): new data key, every value encrypted again\n", stderr: '' });
    const rotated = read();
    for (const [i, line] of valueLines(rotated).entries()) expect(line).not.toBe(valueLines(beforeRotate)[i]);
    expect((await cli(['secret', 'show', 'db', '--key', 'user', ...as(carol)])).stdout).toBe(`${USER}\n`);
    expect((await cli(['secret', 'verify', ...as(bob)])).code).toBe(0);
  });

  test('verify checks every file, in memory, and names the one that fails', async () => {
    await createDb();
    await cli(['secret', 'create', 'other', '--from-literal', `k=${PASSWORD}`, '--recipient', alice.recipient]);
    expect(await cli(['secret', 'verify', ...as(alice)])).toEqual({
      code: 0,
      stdout: "ok secret 'db' (.coder/secrets/db.yaml): 3 values, MAC verified\nok secret 'other' (.coder/secrets/other.yaml): 1 value, MAC verified\n",
      stderr: '',
    });
    writeFileSync(
      file('other'),
      read('other').replace(/^k: ENC\[AES256_GCM,data:(.)/m, (_m, c: string) => `k: ENC[AES256_GCM,data:${c === 'A' ? 'B' : 'A'}`),
    );
    const r = await cli(['secret', 'verify', ...as(alice)]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("ok secret 'db' (.coder/secrets/db.yaml): 3 values, MAC verified\n");
    expect(r.stderr).toBe("secret 'other' (.coder/secrets/other.yaml): value at 'k' fails authentication: it was changed, or moved here from another key or file\n1 of 2 secret file(s) failed verification\n");
    expect((await cli(['secret', 'verify'])).stderr).toContain('no age identity given; set SOPS_AGE_KEY_FILE or SOPS_AGE_KEY, or pass --identity');
  });
});

/** Replaces the ENC value of `key` (one line) with `value`. */
function setLine(text: string, key: string, value: string): string {
  return text.replace(new RegExp(`^${key}: .*$`, 'm'), `${key}: ${value}`);
}
const encOf = (text: string, key: string): string => new RegExp(`^${key}: (.*)$`, 'm').exec(text)![1]!;

// Each case: exit 1, exactly one line on stderr, nothing on stdout, the file left as it was.
const TAMPER: [string, (text: string, other: string) => string, { file?: { file: string }; expect: RegExp }][] = [
  [
    'a changed value',
    (t) => t.replace(/^(password: ENC\[AES256_GCM,data:)(.)/m, (_m, p: string, c: string) => `${p}${c === 'A' ? 'B' : 'A'}`),
    { expect: /value at 'password' fails authentication: it was changed, or moved here from another key or file$/ },
  ],
  ['swapped values', (t) => setLine(setLine(t, 'password', encOf(t, 'user')), 'user', encOf(t, 'password')), { expect: /value at 'password' fails authentication/ }],
  ['a value moved in from another file', (t, other) => setLine(t, 'password', encOf(other, 'password')), { expect: /value at 'password' fails authentication/ }],
  ['a removed key', (t) => t.replace(/^user: .*\n/m, ''), { expect: /MAC mismatch: values were added, removed, reordered or swapped since the file was written$/ }],
  ['an added key (a copied ciphertext)', (t) => `extra: ${encOf(t, 'password')}\n${t}`, { expect: /value at 'extra' fails authentication/ }],
  ['an added key (a clear value)', (t) => `extra: plain-added\n${t}`, { expect: /value at 'extra' fails authentication: it is not an ENC\[AES256_GCM,\.\.\.\] value/ }],
  ['an added key (left clear by the suffix)', (t) => `note_unencrypted: hi\n${t}`, { expect: /MAC mismatch/ }],
  [
    'reordered keys',
    (t) => {
      const [a, b, ...rest] = t.split('\n');
      return [b, a, ...rest].join('\n');
    },
    { expect: /MAC mismatch/ },
  ],
  ['a changed lastmodified', (t) => t.replace(/lastmodified: "(\d{4})/, (_m, y: string) => `lastmodified: "${Number(y) - 1}`), { expect: /the MAC fails authentication: 'lastmodified' or the MAC was changed/ }],
  ['a removed MAC', (t) => t.replace(/^ {4}mac: .*$/m, '    mac: ""'), { expect: /the file has no MAC; it cannot be authenticated$/ }],
  ['a corrupted data key', (t) => t.replace(/(-----BEGIN AGE ENCRYPTED FILE-----\n\s+\S{20})(.)/, (_m, p: string, c: string) => `${p}${c === 'A' ? 'B' : 'A'}`), { expect: /the data key encrypted to age1\w+ is corrupt: / }],
  ['a wrong identity', (t) => t, { file: carol, expect: new RegExp(`encrypted to ${alice.recipient}, ${bob.recipient}; your identity is ${carol.recipient}$`) }],
];

describe('tamper corpus', () => {
  test.each(TAMPER)('%s: exit 1, one line, nothing decrypted written', async (_name, tamper, c) => {
    await createDb();
    await cli(['secret', 'create', 'other', '--from-literal', `password=${PASSWORD}`, '--recipient', alice.recipient]);
    const tampered = tamper(read(), read('other'));
    writeFileSync(file(), tampered);
    const before = readdirSync(join(repo, '.coder', 'secrets')).sort();
    for (const sub of [
      ['show', 'db'],
      ['show', 'db', '--key', 'password'],
      ['edit', 'db'],
      ['set', 'db', 'x=y'],
      ['unset', 'db', 'user'],
      ['updatekeys', 'db', '--recipient', carol.recipient],
      ['rotate', 'db'],
      ['verify', 'db'],
    ]) {
      const r = await cli(['secret', ...sub, ...as(c.file ?? alice)], { EDITOR: 'false' });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n')[0]).toMatch(c.expect);
      expect(r.stderr.trimEnd().split('\n').length).toBe(sub[0] === 'verify' ? 2 : 1);
      for (const clear of CLEAR) expect(r.stderr).not.toContain(clear);
    }
    expect(read()).toBe(tampered);
    expect(readdirSync(join(repo, '.coder', 'secrets')).sort()).toEqual(before);
  });

  test('a file for other recipients names them and your identity', async () => {
    await createDb([bob.recipient, carol.recipient]);
    const r = await cli(['secret', 'show', 'db', ...as(alice)]);
    expect(r).toEqual({ code: 1, stdout: '', stderr: `build-image secret: secret 'db' (.coder/secrets/db.yaml): encrypted to ${bob.recipient}, ${carol.recipient}; your identity is ${alice.recipient}\n` });
  });
});
