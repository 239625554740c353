// Interop with the real `age` and `age-keygen` binaries (Debian package age), both directions.
import { afterAll, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ageDecrypt, ageEncrypt, parseIdentityFile } from './age.js';

const dir = mkdtempSync(join(tmpdir(), 'age-itg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function keygen(name: string): { file: string; recipient: string } {
  const file = join(dir, name);
  execFileSync('age-keygen', ['-o', file], { stdio: 'ignore' });
  return { file, recipient: execFileSync('age-keygen', ['-y', file], { encoding: 'utf8' }).trim() };
}

const alice = keygen('alice.txt');
const bob = keygen('bob.txt');

test('an age-keygen key file reads as the identity age-keygen -y names', () => {
  expect(parseIdentityFile(readFileSync(alice.file, 'utf8'), alice.file).map((i) => i.recipient)).toEqual([alice.recipient]);
});

test.each([0, 5, 64 * 1024, 150_000])('age -d reads what we encrypt (%d bytes, armoured and binary, two recipients)', (size) => {
  const data = Buffer.from(Array.from({ length: size }, (_, i) => i % 251));
  for (const armor of [true, false]) {
    const path = join(dir, `ours-${size}-${armor}.age`);
    writeFileSync(path, ageEncrypt(data, [alice.recipient, bob.recipient], { armor }));
    for (const who of [alice, bob]) expect(execFileSync('age', ['-d', '-i', who.file, path]).equals(data)).toBe(true);
  }
});

test.each([0, 5, 64 * 1024, 150_000])('we read what age -e writes (%d bytes, armoured and binary)', (size) => {
  const data = Buffer.from(Array.from({ length: size }, (_, i) => (i * 7) % 256));
  const plain = join(dir, `plain-${size}`);
  writeFileSync(plain, data);
  const identities = parseIdentityFile(readFileSync(bob.file, 'utf8'), bob.file);
  for (const armor of [true, false]) {
    const out = join(dir, `theirs-${size}-${armor}.age`);
    execFileSync('age', ['-e', ...(armor ? ['-a'] : []), '-r', alice.recipient, '-r', bob.recipient, '-o', out, plain]);
    expect(ageDecrypt(armor ? readFileSync(out, 'utf8') : readFileSync(out), identities).equals(data)).toBe(true);
  }
});
