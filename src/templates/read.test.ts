import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeText, readRepoText } from './read.js';

test.each([
  ['UTF-8', Buffer.from('name: café\n'), { ok: true, text: 'name: café\n' }],
  ['UTF-8 with a byte order mark', Buffer.from('\ufeffa: 1\n'), { ok: true, text: 'a: 1\n' }],
  ['UTF-16 LE with BOM', Buffer.from('\ufeffa: 1\n', 'utf16le'), { ok: false, line: 0, title: 'Not UTF-8' }],
  ['UTF-16 LE without BOM', Buffer.from('name: base\ntype: image\n', 'utf16le'), { ok: false, title: 'Not UTF-8' }],
  ['Latin-1 on line 3', Buffer.from('a: 1\nb: 2\nc: caf\xe9\n', 'latin1'), { ok: false, line: 3, title: 'Not UTF-8' }],
  ['NUL in text', Buffer.from('a: 1\nb: \0\n'), { ok: false, line: 0, title: 'Binary file' }],
  ['truncated multi-byte sequence', Buffer.from([0x61, 0xe2, 0x82]), { ok: false, line: 1 }],
])('%s', (_name, bytes, expected) => {
  expect(decodeText(bytes, 'the template')).toMatchObject(expected);
});

test('a device is refused without reading it, a big file without reading past the limit', () => {
  expect(readRepoText('/', '/dev/zero', 1024, 'the template')).toMatchObject({ ok: false, message: 'the template is a device, not a regular file' });
  const dir = mkdtempSync(join(tmpdir(), 'bi-read-'));
  try {
    writeFileSync(join(dir, 'big.yaml'), 'x'.repeat(2048));
    expect(readRepoText(dir, join(dir, 'big.yaml'), 1024, 'the template')).toMatchObject({ ok: false, message: 'file is 2048 bytes; templates are limited to 1024 bytes' });
    expect(readRepoText(dir, join(dir, 'missing.yaml'), 1024)).toMatchObject({ ok: false, message: 'cannot read the file: ENOENT' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
