import { describe, expect, test } from '@jest/globals';
import { ageDecrypt, AgeDecryptError, ageEncrypt, AgeNoIdentityError, generateIdentity, isRecipient, parseIdentity, parseIdentityFile, parseRecipient } from './age.js';
import { bech32Decode, bech32Encode } from './bech32.js';

// Published test keys: sops' age/keysource_test.go (mockIdentity/mockRecipient), Flux's
// kustomize-controller testdata and helm-secrets' tests/assets/age/key.txt.
const KNOWN: [string, string][] = [
  ['AGE-SECRET-KEY-1G0Q5K9TV4REQ3ZSQRMTMG8NSWQGYT0T7TZ33RAZEE0GZYVZN0APSU24RK7', 'age1lzd99uklcjnc0e7d860axevet2cz99ce9pq6tzuzd05l5nr28ams36nvun'],
  ['AGE-SECRET-KEY-1RH87A5Z54ZGUR9S0AS3R6WHFSEFNPLYMAKF5Z2CEU7R06VRJ0A3Q7242AM', 'age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29'],
  ['AGE-SECRET-KEY-1E9XAHYWZHY026MSX7FVX98XTXWJS4UC38QG603X9JDM2SPRJ8HZSVGG0LT', 'age1rh2xsjg8avja92j3jhtttuczgmqkz89lezxt4e3mmp5ukl5j4f9smvteju'],
];

// sops' mockEncryptedKey: written by Go's age to mockRecipient, the plaintext is "data".
const SOPS_MOCK_ENCRYPTED_KEY = `-----BEGIN AGE ENCRYPTED FILE-----
YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBvY2t2NkdLUGRvY3l2OGNy
MVJWcUhCOEZrUG8yeCtnRnhxL0I5NFk4YjJFCmE4SVQ3MEdyZkFqRWpSa2F0NVhF
VDUybzBxdS9nSGpHSVRVMUI0UEVqZkkKLS0tIGJjeGhNQ0Y5L2VZRVVYSm90djFF
bzdnQ3UwTGljMmtrbWNMV1MxYkFzUFUK4xjOZOTGdcbzuwUY/zeBXhcF+Md3e5PQ
EylloI7MNGbadPGb
-----END AGE ENCRYPTED FILE-----`;

describe('bech32', () => {
  test.each([
    ['a12uel5l', 'a', ''],
    ['abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw', 'abcdef', '00443214c74254b635cf84653a56d7c675be77df'],
  ])('BIP 173 vector %s', (text, hrp, hex) => {
    const decoded = bech32Decode(text)!;
    expect(decoded.hrp).toBe(hrp);
    expect(Buffer.from(decoded.data).toString('hex')).toBe(hex);
    expect(bech32Encode(hrp, decoded.data)).toBe(text);
  });
  test.each(['a12uel5m', 'A12uEL5L', 'a1', 'x1b4n0q5v'])('rejects %s', (text) => expect(bech32Decode(text)).toBeUndefined());
});

describe('keys', () => {
  test.each(KNOWN)('identity %# gives the published recipient', (identity, recipient) => {
    expect(parseIdentity(identity).recipient).toBe(recipient);
    expect(isRecipient(recipient)).toBe(true);
  });

  test.each([
    ['age1lzd99uklcjnc0e7d860axevet2cz99ce9pq6tzuzd05l5nr28ams36nvum', /not a valid age recipient/],
    ['age1lzd99', /not a valid age recipient/],
    ['AGE1LZD99UKLCJNC0E7D860AXEVET2CZ99CE9PQ6TZUZD05L5NR28AMS36NVUN', /not a valid age recipient/],
    ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAID+Wi8WZw2bXfBpcs/WECttCzP39OkenS6pHWHWGFJvN', /ssh recipients are not supported/],
    ['age1pq1xyz', /post-quantum/],
  ])('recipient %s is refused', (text, message) => expect(() => parseRecipient(text)).toThrow(message));

  test('a bad identity line is refused without repeating it', () => {
    const bad = 'AGE-SECRET-KEY-1G0Q5K9TV4REQ3ZSQRMTMG8NSWQGYT0T7TZ33RAZEE0GZYVZN0APSU24RK8';
    expect(() => parseIdentityFile(`# created: now\n\n${bad}\n`, 'keys.txt')).toThrow('keys.txt:3: not a valid age identity');
    try {
      parseIdentityFile(bad, 'keys.txt');
    } catch (err) {
      expect((err as Error).message).not.toContain(bad.slice(16));
    }
    expect(() => parseIdentityFile('# only comments\n', 'keys.txt')).toThrow('keys.txt: no age identity in it');
  });

  test('generated identities are valid and distinct', () => {
    const a = generateIdentity();
    const b = generateIdentity();
    expect(parseIdentity(a.identity).recipient).toBe(a.recipient);
    expect(a.recipient).not.toBe(b.recipient);
    expect(a.identity).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]{58}$/);
  });
});

describe('encrypt and decrypt', () => {
  const me = generateIdentity();
  const other = generateIdentity();

  test('decrypts a file Go age wrote (sops test vector)', () => {
    expect(ageDecrypt(SOPS_MOCK_ENCRYPTED_KEY, [parseIdentity(KNOWN[0]![0])]).toString()).toBe('data');
  });

  test.each([0, 1, 32, 64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, 3 * 64 * 1024])('round trip of %d bytes, armoured and binary, to two recipients', (size) => {
    const data = Buffer.alloc(size, 0x5a);
    for (const armor of [true, false]) {
      const sealed = ageEncrypt(data, [other.recipient, me.recipient], { armor });
      expect(ageDecrypt(sealed, [parseIdentity(me.identity)]).equals(data)).toBe(true);
      expect(ageDecrypt(sealed, [parseIdentity(other.identity)]).equals(data)).toBe(true);
    }
  });

  test('another identity gets AgeNoIdentityError; a changed file gets AgeDecryptError', () => {
    const sealed = ageEncrypt(Buffer.from('x'), [me.recipient], { armor: false }) as Buffer;
    expect(() => ageDecrypt(sealed, [parseIdentity(other.identity)])).toThrow(AgeNoIdentityError);
    const payload = Buffer.from(sealed);
    payload[payload.length - 1]! ^= 1;
    expect(() => ageDecrypt(payload, [parseIdentity(me.identity)])).toThrow('age payload fails authentication');
    const header = Buffer.from(sealed);
    const macAt = header.indexOf('--- ') + 5;
    header[macAt] = header[macAt] === 0x41 ? 0x42 : 0x41;
    expect(() => ageDecrypt(header, [parseIdentity(me.identity)])).toThrow(AgeDecryptError);
    expect(() => ageDecrypt('-----BEGIN AGE ENCRYPTED FILE-----\n!!\n-----END AGE ENCRYPTED FILE-----', [parseIdentity(me.identity)])).toThrow('malformed');
  });
});
