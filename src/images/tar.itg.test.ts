// The tar reader against archives written by GNU tar in each format it writes (v7, ustar, GNU,
// PAX): long names and link targets, hard links, empty and block-sized files, fed in chunks of
// many sizes. Contents must come back byte for byte, names and types as tar wrote them.
import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { TarFormatError, TarReader, type TarHeader } from './tar.js';

let dir: string;
const longDir = `${'d'.repeat(60)}/${'e'.repeat(60)}`;
const longFile = `${longDir}/${'f'.repeat(90)}.txt`;
const files: Record<string, Buffer> = {
  empty: Buffer.alloc(0),
  'one-block': Buffer.alloc(512, 'a'),
  'block-and-one': Buffer.alloc(513, 'b'),
  [longFile]: Buffer.from('deep\n'),
  'etc/passwd': Buffer.from('root:x:0:0:root:/root:/bin/sh\n'),
  'big.bin': Buffer.from(Array.from({ length: 20_000 }, (_, i) => (i * 31) % 251)),
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bi-tar-'));
  const src = join(dir, 'src');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(src, path, '..'), { recursive: true });
    writeFileSync(join(src, path), content);
  }
  symlinkSync('etc/passwd', join(src, 'short-link'));
  symlinkSync(longFile, join(src, 'long-link'));
  linkSync(join(src, 'etc/passwd'), join(src, 'hard'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function archive(format: string): Buffer {
  const out = join(dir, `${format}.tar`);
  // ustar cannot hold a link target over 100 bytes (GNU and PAX can).
  const exclude = format === 'ustar' ? ['--exclude=./long-link'] : [];
  execFileSync('tar', ['-C', join(dir, 'src'), `--format=${format}`, '--sort=name', ...exclude, '-cf', out, '.']);
  return readFileSync(out);
}

function read(bytes: Buffer, chunkSize: number): { headers: TarHeader[]; contents: Map<string, Buffer> } {
  const headers: TarHeader[] = [];
  const contents = new Map<string, Buffer[]>();
  const ended: string[] = [];
  const reader = new TarReader((h) => {
    headers.push(h);
    if (h.type !== 'file') return undefined;
    const chunks: Buffer[] = [];
    contents.set(h.name, chunks);
    return { data: (c) => chunks.push(Buffer.from(c)), end: () => ended.push(h.name) };
  });
  for (let at = 0; at < bytes.length; at += chunkSize) reader.write(bytes.subarray(at, at + chunkSize));
  reader.end();
  // Every file's sink was ended, once, in archive order.
  expect(ended).toEqual(headers.filter((h) => h.type === 'file').map((h) => h.name));
  return { headers, contents: new Map([...contents].map(([k, v]) => [k, Buffer.concat(v)])) };
}

test.each(['gnu', 'posix', 'ustar'])('%s format: names, types, link targets and contents as tar wrote them, in any chunking', (format) => {
  const bytes = archive(format);
  for (const chunkSize of [1, 7, 511, 512, 4096, bytes.length]) {
    const { headers, contents } = read(bytes, chunkSize);
    const byName = new Map(headers.map((h) => [h.name.replace(/^\.\//, ''), h]));
    for (const [path, content] of Object.entries(files)) {
      expect(byName.get(path)).toMatchObject({ type: 'file', size: content.length, mode: statSync(join(dir, 'src', path)).mode & 0o7777 });
      expect(contents.get(`./${path}`)).toEqual(content);
    }
    expect(byName.get(longDir + '/')).toMatchObject({ type: 'directory', size: 0 });
    expect(byName.get('short-link')).toMatchObject({ type: 'symlink', linkname: 'etc/passwd' });
    if (format !== 'ustar') expect(byName.get('long-link')).toMatchObject({ type: 'symlink', linkname: longFile });
    // GNU tar sorts by name: etc/passwd comes before hard, so hard is the link to it.
    expect(byName.get('hard')).toMatchObject({ type: 'link', linkname: './etc/passwd', size: 0 });
    expect(headers.filter((h) => h.type === 'other')).toEqual([]);
  }
});

test('v7 format: short names only, types from the flag', () => {
  execFileSync('tar', ['-C', join(dir, 'src'), '--format=v7', '-cf', join(dir, 'v7.tar'), 'etc', 'one-block', 'short-link']);
  const { headers, contents } = read(readFileSync(join(dir, 'v7.tar')), 1000);
  expect(headers.map((h) => [h.name, h.type])).toEqual([
    ['etc/', 'directory'],
    ['etc/passwd', 'file'],
    ['one-block', 'file'],
    ['short-link', 'symlink'],
  ]);
  expect(contents.get('one-block')).toEqual(files['one-block']);
});

test('octal fields with leading spaces and a checksum summed as signed bytes (old tars) are read', () => {
  execFileSync('tar', ['-C', join(dir, 'src'), '--format=v7', '-cf', join(dir, 'old.tar'), 'etc/passwd']);
  const bytes = readFileSync(join(dir, 'old.tar'));
  const header = bytes.subarray(0, 512);
  header.fill(0, 0, 100).write('r\u00e9sum\u00e9.txt', 0, 'utf8'); // bytes of 0x80 and over
  header.write('   644 \0', 100, 'latin1');
  header.write('        ', 148, 'latin1');
  let signed = 0;
  for (const b of header) signed += (b << 24) >> 24;
  header.write(`${signed.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  const { headers, contents } = read(bytes, 512);
  expect(headers[0]).toMatchObject({ name: 'r\u00e9sum\u00e9.txt', type: 'file', mode: 0o644, size: files['etc/passwd']!.length });
  expect(contents.get('r\u00e9sum\u00e9.txt')).toEqual(files['etc/passwd']);
});

test("an empty archive (docker's empty layer: two zero blocks) has no entries and is no error", () => {
  expect(read(Buffer.alloc(1024), 100).headers).toEqual([]);
});

test('not a tar, a still-gzipped tar, or a cut archive is a TarFormatError', () => {
  const bytes = archive('gnu');
  expect(() => read(Buffer.from('just some notes\n'.repeat(64)), 512)).toThrow(TarFormatError);
  expect(() => read(gzipSync(bytes), 512)).toThrow(/bad checksum/);
  expect(() => read(bytes.subarray(0, 2048 + 100), 512)).toThrow(/unexpected end/);
  expect(() => read(bytes.subarray(0, 300), 512)).toThrow(/unexpected end/);
});
