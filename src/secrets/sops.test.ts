import { describe, expect, test } from '@jest/globals';
import { generateIdentity, parseIdentity } from '../systems/age/age.js';
import { additionalData, ageEntries, decryptFile, decryptValue, emitSopsFile, encryptTree, encryptValue, newDataKey, newMetadata, parseSopsFile, shouldEncrypt, type EncryptionRules } from './sops.js';
import { goFloat, parseYamlTree, stringifyTree, type Leaf } from './tree.js';

const me = generateIdentity();

function write(plainYaml: string, recipients = [me.recipient]): string {
  const dataKey = newDataKey();
  const { tree, mac, lastmodified } = encryptTree({ plain: parseYamlTree(plainYaml, 'test'), dataKey });
  return emitSopsFile(tree, { raw: newMetadata(), age: ageEntries(dataKey, recipients), lastmodified, mac });
}

test.each([
  [1, '1'],
  [1.5, '1.5'],
  [-0.25, '-0.25'],
  [1e21, '1000000000000000000000'],
  [1.5e-7, '0.00000015'],
  [123456789.125, '123456789.125'],
  [Infinity, '+Inf'],
  [NaN, 'NaN'],
])("goFloat(%p) is Go's FormatFloat(f, 'f', -1, 64): %s", (x, text) => expect(goFloat(x)).toBe(text));

test.each<[string, Leaf]>([
  ['v: hello', { type: 'str', text: 'hello' }],
  ["v: '42'", { type: 'str', text: '42' }],
  ['v: 42', { type: 'int', text: '42' }],
  ['v: 0x1F', { type: 'int', text: '31' }],
  ['v: 9007199254740993', { type: 'int', text: '9007199254740993' }],
  ['v: 1.0', { type: 'float', text: '1' }],
  ['v: 2.5e3', { type: 'float', text: '2500' }],
  ['v: true', { type: 'bool', text: 'True' }],
  ['v: false', { type: 'bool', text: 'False' }],
  ['v: 2024-01-01', { type: 'str', text: '2024-01-01' }],
])('%s is encrypted as sops type %o and reads back the same', (yaml, leaf) => {
  const plain = parseYamlTree(yaml, 'test');
  expect(plain.get('v')).toEqual(leaf);
  const decrypted = decryptFile(parseSopsFile(write(yaml), 'f'), [parseIdentity(me.identity)]);
  expect(decrypted.plain.get('v')).toEqual(leaf);
  // and it prints as YAML that parses to the same type again
  expect(parseYamlTree(stringifyTree(decrypted.plain), 'again').get('v')).toEqual(leaf);
});

test('nested maps, lists, nulls and empty strings keep their shape; the stored file holds no clear value', () => {
  const yaml = 'db:\n  user: admin\n  port: 5432\n  hosts: [a.example, b.example]\nempty: ""\nnothing: null\nflags: [true, 1.5]\n';
  const text = write(yaml);
  for (const clear of ['admin', '5432', 'a.example', 'b.example', '1.5']) expect(text).not.toContain(clear);
  expect(text).toContain('empty: ""');
  expect(text).toContain('nothing: null');
  const { plain } = decryptFile(parseSopsFile(text, 'f'), [parseIdentity(me.identity)]);
  expect(stringifyTree(plain)).toBe(stringifyTree(parseYamlTree(yaml, 'test')));
});

test('a value is bound to its key path: moved to another key it fails to decrypt', () => {
  const key = newDataKey();
  const enc = encryptValue({ type: 'str', text: 'hunter2' }, key, additionalData(['db', 'password']));
  expect(enc).toMatch(/^ENC\[AES256_GCM,data:[^,]+,iv:[A-Za-z0-9+/]{43}=,tag:[A-Za-z0-9+/]{22}==,type:str\]$/);
  expect(Buffer.from(/iv:([^,]+)/.exec(enc)![1]!, 'base64')).toHaveLength(32);
  expect(decryptValue(enc, key, 'db:password:')).toEqual({ type: 'str', text: 'hunter2' });
  expect(decryptValue(enc, key, 'db:user:')).toBeUndefined();
  expect(decryptValue(enc, newDataKey(), 'db:password:')).toBeUndefined();
});

test.each<[string, EncryptionRules, string[], boolean]>([
  ['default suffix', { unencryptedSuffix: '_unencrypted', macOnlyEncrypted: false }, ['a', 'b_unencrypted'], false],
  ['default suffix, other key', { unencryptedSuffix: '_unencrypted', macOnlyEncrypted: false }, ['a', 'b'], true],
  ['encrypted_regex match', { encryptedRegex: '^(data|stringData)$', macOnlyEncrypted: false }, ['stringData', 'key'], true],
  ['encrypted_regex no match', { encryptedRegex: '^(data|stringData)$', macOnlyEncrypted: false }, ['metadata', 'name'], false],
  ['encrypted_suffix', { encryptedSuffix: '_secret', macOnlyEncrypted: false }, ['pw_secret'], true],
  ['unencrypted_regex', { unencryptedRegex: '^public', macOnlyEncrypted: false }, ['public_url'], false],
])('shouldEncrypt: %s', (_name, rules, path, expected) => expect(shouldEncrypt(path, rules)).toBe(expected));

describe('unchanged values keep their ciphertext', () => {
  test('re-encrypting with the previous file reuses every unchanged value and re-encrypts the changed one', () => {
    const file = parseSopsFile(write('a: one\nb: two\nl: [x, y]\n'), 'f');
    const before = decryptFile(file, [parseIdentity(me.identity)]);
    const plain = new Map(before.plain);
    plain.set('b', { type: 'str', text: 'TWO' });
    const { tree } = encryptTree({ plain, dataKey: before.dataKey, previous: before });
    expect(tree.get('a')).toEqual(file.tree.get('a'));
    expect(tree.get('l')).toEqual(file.tree.get('l'));
    expect(tree.get('b')).not.toEqual(file.tree.get('b'));
  });
});

test('metadata we write reads back: recipients, version, default unencrypted suffix', () => {
  const other = generateIdentity();
  const file = parseSopsFile(write('a: 1', [me.recipient, other.recipient]), 'f');
  expect(file.metadata.age.map((e) => e.recipient)).toEqual([me.recipient, other.recipient]);
  expect(file.metadata.rules.unencryptedSuffix).toBe('_unencrypted');
  expect(file.metadata.version).toBe('3.9.0');
  expect(file.metadata.lastmodified).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
});

test.each([
  ['no sops block', 'a: b\n', "not a sops file (no 'sops' metadata block)"],
  ['key groups', 'a: b\nsops:\n  key_groups: []\n  lastmodified: x\n  mac: y\n', 'key_groups (Shamir secret sharing) are not supported'],
  ['two rules', 'a: b\nsops:\n  lastmodified: x\n  mac: y\n  encrypted_regex: a\n  unencrypted_suffix: b\n', 'allows only one of'],
  ['not a mapping', '- a\n', 'the top level must be a mapping'],
  ['alias', 'a: &x b\nc: *x\nsops: {}\n', 'YAML aliases are not supported'],
])('malformed file: %s', (_name, text, message) => expect(() => parseSopsFile(text, 'f')).toThrow(message));

test('a corrupt data key for one of your identities does not stop another that opens', () => {
  const other = generateIdentity();
  const text = write('a: b\n', [me.recipient, other.recipient]);
  const broken = text.replace(/(-----BEGIN AGE ENCRYPTED FILE-----\n\s+\S{20})(.)/, (_m, p: string, c: string) => `${p}${c === 'A' ? 'B' : 'A'}`);
  const file = parseSopsFile(broken, 'f');
  expect(decryptFile(file, [parseIdentity(me.identity), parseIdentity(other.identity)]).plain.get('a')).toEqual({ type: 'str', text: 'b' });
  expect(() => decryptFile(file, [parseIdentity(me.identity)])).toThrow(`f: the data key encrypted to ${me.recipient} is corrupt`);
});
