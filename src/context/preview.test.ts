import { chmodSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extract } from 'tar-stream';
import { previewArchive, previewHash, previewTag, PREVIEW_MTIME } from './preview.js';

const settings = { repository: '127.0.0.1:5000/acme/app', buildArgs: { B: '2', A: '1' }, bases: { 'busybox:1.36': 'sha256:' + 'a'.repeat(64) } };
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bi-preview-'));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src/main.sh'), 'echo hi\n');
  writeFileSync(join(dir, 'app.txt'), 'app\n');
  writeFileSync(join(dir, 'notes.log'), 'ignored\n');
  writeFileSync(join(dir, '.dockerignore'), '*.log\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const hash = () => previewHash(dir, 'FROM busybox\n', settings);

test('the same tree gives the same hash, whatever the mtimes and the order of build args', async () => {
  const first = await hash();
  utimesSync(join(dir, 'app.txt'), new Date(2030, 1, 1), new Date(2030, 1, 1));
  utimesSync(join(dir, 'src'), new Date(2031, 1, 1), new Date(2031, 1, 1));
  expect(await previewHash(dir, 'FROM busybox\n', { ...settings, buildArgs: { A: '1', B: '2' } })).toBe(first);
  expect(first).toMatch(/^[0-9a-f]{64}$/);
  expect(previewTag(first)).toBe(`preview-${first}`);
});

test.each<[string, boolean, () => void]>([
  ['an edited file', true, () => writeFileSync(join(dir, 'app.txt'), 'app 2\n')],
  ['a new file', true, () => writeFileSync(join(dir, 'src/new.sh'), '')],
  ['an executable bit', true, () => chmodSync(join(dir, 'src/main.sh'), 0o755)],
  ['a file .dockerignore excludes', false, () => writeFileSync(join(dir, 'notes.log'), 'other\n')],
  ['a .git directory', false, () => mkdirSync(join(dir, '.git'))],
])('%s: changes the hash = %s', async (_what, changes, edit) => {
  const before = await hash();
  edit();
  expect((await hash()) !== before).toBe(changes);
});

test.each([
  ['the Dockerfile', 'FROM busybox:2\n', settings],
  ['a build arg', 'FROM busybox\n', { ...settings, buildArgs: { A: '1', B: '3' } }],
  ['a base digest', 'FROM busybox\n', { ...settings, bases: { 'busybox:1.36': 'sha256:' + 'b'.repeat(64) } }],
])('%s changes the hash', async (_what, dockerfile, other) => {
  expect(await previewHash(dir, dockerfile, other)).not.toBe(await hash());
});

test('the archive lists the context sorted under context/, then the Dockerfile and settings, every entry at a fixed mtime and uid 0', async () => {
  const entries: string[] = [];
  const reader = extract();
  reader.on('entry', (header, stream, next) => {
    expect(header.mtime?.getTime()).toBe(PREVIEW_MTIME.getTime());
    expect(header.uid ?? 0).toBe(0);
    entries.push(header.name);
    stream.resume();
    stream.on('end', next);
  });
  const done = new Promise<void>((resolve) => reader.on('finish', () => resolve()));
  previewArchive(dir, 'FROM busybox\n', settings).pipe(reader);
  await done;
  expect(entries).toEqual(['context', 'context/.dockerignore', 'context/app.txt', 'context/src', 'context/src/main.sh', 'Dockerfile', 'build.json']);
});
