// Interop, both ways, with no code of ours on the other side:
// - files we write are decrypted by an independent path: the Debian `age` CLI opens the data key,
//   Node's AES-256-GCM opens each value with its key path as additional data, and the MAC is
//   recomputed here from the sops algorithm;
// - files the real sops wrote (committed fixtures with published test keys) are read by us.
import { afterAll, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { createDecipheriv, createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseIdentityFile } from '../systems/age/age.js';
import { checkSecretFile } from './check.js';
import { decryptFile, emitSopsFile, parseSopsFile } from './sops.js';
import { createSecret, secretRef, updateSecret } from './store.js';
import { parseYamlTree, stringifyTree } from './tree.js';
import { parseYamlFile } from '../templates/yaml.js';

const dir = mkdtempSync(join(tmpdir(), 'sops-itg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fixtures = join(process.cwd(), 'test', 'fixtures', 'secrets');

function keygen(name: string): { file: string; recipient: string } {
  const file = join(dir, name);
  execFileSync('age-keygen', ['-o', file], { stdio: 'ignore' });
  return { file, recipient: execFileSync('age-keygen', ['-y', file], { encoding: 'utf8' }).trim() };
}

/** sops' decryption, written out from its documentation with Node's crypto and the age CLI. */
function independentDecrypt(text: string, keyFile: string): Record<string, unknown> {
  const doc = parse(text) as Record<string, unknown> & { sops: { age: { recipient: string; enc: string }[]; lastmodified: string; mac: string } };
  const encFile = join(dir, 'datakey.age');
  let dataKey: Buffer | undefined;
  for (const entry of doc.sops.age) {
    writeFileSync(encFile, entry.enc);
    try {
      dataKey = execFileSync('age', ['-d', '-i', keyFile, encFile], { stdio: ['ignore', 'pipe', 'ignore'] });
      break;
    } catch {
      // not ours: try the next recipient
    }
  }
  if (!dataKey) throw new Error('age -d opened none of the data keys');
  expect(dataKey).toHaveLength(32);
  const open = (value: string, aad: string): { type: string; text: string } => {
    const m = /^ENC\[AES256_GCM,data:(.*),iv:(.+),tag:(.+),type:(.+)\]$/.exec(value)!;
    const d = createDecipheriv('aes-256-gcm', dataKey!, Buffer.from(m[2]!, 'base64'));
    d.setAAD(Buffer.from(aad));
    d.setAuthTag(Buffer.from(m[3]!, 'base64'));
    return { type: m[4]!, text: Buffer.concat([d.update(Buffer.from(m[1]!, 'base64')), d.final()]).toString('utf8') };
  };
  const hash = createHash('sha512');
  const walk = (v: unknown, path: string[]): unknown => {
    if (Array.isArray(v)) return v.map((x) => walk(x, path));
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, [...path, k])]));
    if (v === null) return null;
    const { type, text } = open(String(v), `${path.join(':')}:`);
    hash.update(text);
    return type === 'int' ? Number(text) : type === 'float' ? Number(text) : type === 'bool' ? text === 'True' : text;
  };
  const { sops, ...data } = doc;
  const clear = walk(data, []) as Record<string, unknown>;
  expect(open(sops.mac, sops.lastmodified).text).toBe(hash.digest('hex').toUpperCase());
  return clear;
}

test('files we write are read by age -d + AES-GCM + a recomputed MAC, for every value type', () => {
  const alice = keygen('alice.txt');
  const bob = keygen('bob.txt');
  const root = join(dir, 'repo');
  const ref = secretRef(root, 'app');
  createSecret(ref, parseYamlTree('password: hunter2\ncert: "-----BEGIN-----\\nabc\\n"\n', 'in'), [alice.recipient, bob.recipient]);
  updateSecret(ref, parseIdentityFile(readFileSync(alice.file, 'utf8'), 'alice'), (plain) => {
    for (const [k, v] of parseYamlTree('port: 5432\nratio: 0.75\nenabled: true\ndb:\n  hosts: [a, b]\n  user: admin\n', 'more')) plain.set(k, v);
    return plain;
  });
  const text = readFileSync(ref.path, 'utf8');
  const expected = { password: 'hunter2', cert: '-----BEGIN-----\nabc\n', port: 5432, ratio: 0.75, enabled: true, db: { hosts: ['a', 'b'], user: 'admin' } };
  expect(independentDecrypt(text, alice.file)).toEqual(expected);
  expect(independentDecrypt(text, bob.file)).toEqual(expected);
});

test.each([
  ['flux/age.yaml', 'flux/age.txt', 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: age\nstringData:\n  key: value\n'],
  ['helm-secrets/secrets.age.yaml', 'helm-secrets/key.txt', undefined],
])('a file the real sops wrote (%s) decrypts, MAC verified, and validates', (file, key, expected) => {
  const text = readFileSync(join(fixtures, file), 'utf8');
  const identities = parseIdentityFile(readFileSync(join(fixtures, key), 'utf8'), key);
  const { plain } = decryptFile(parseSopsFile(text, file), identities);
  if (expected) expect(stringifyTree(plain)).toBe(expected);
  else {
    expect(plain.get('global_secret')).toEqual({ type: 'str', text: 'global_age' });
    expect((plain.get('service') as Map<string, unknown>).get('port')).toEqual({ type: 'int', text: '92' });
    expect((plain.get('key') as { text: string }).text).toMatch(/^-----BEGIN PGP MESSAGE-----/);
  }
  expect(checkSecretFile(parseYamlFile(`.coder/secrets/${file.split('/').pop()}`, text).file!)).toEqual([]);
});

test('a real sops file with one byte changed in a clear (encrypted_regex) value fails its MAC', () => {
  const text = readFileSync(join(fixtures, 'flux/age.yaml'), 'utf8').replace('name: age', 'name: agf');
  const identities = parseIdentityFile(readFileSync(join(fixtures, 'flux/age.txt'), 'utf8'), 'key');
  expect(() => decryptFile(parseSopsFile(text, 'flux'), identities)).toThrow('flux: MAC mismatch');
});

test('a file sops wrote is written back in its own layout: only the armour lines of the data key are indented differently', () => {
  const text = readFileSync(join(fixtures, 'helm-secrets/secrets.age.yaml'), 'utf8');
  const file = parseSopsFile(text, 'f');
  const out = emitSopsFile(file.tree, { raw: file.metadata.raw, age: file.metadata.age, lastmodified: file.metadata.lastmodified, mac: file.metadata.mac });
  const outside = (t: string) => t.split('\n').filter((l) => !/^ {12,}\S/.test(l));
  expect(outside(out)).toEqual(outside(text));
  expect(parseSopsFile(out, 'f')).toEqual(file);
});
