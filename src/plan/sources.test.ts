import { resolveTemplateSources, sourceUrl } from './sources.js';
import type { ImageTemplate } from '../templates/types.js';

function template(name: string, spec: Partial<ImageTemplate['spec']>): ImageTemplate {
  return { kind: 'image', name, file: `.coder/images/${name}.yaml`, spec: { context: '.', dockerfile: 'Dockerfile', image: `acme/${name}`, tags: [], parameters: [], watch: [], smoke: [], sources: [], ...spec } };
}

test.each([
  [{ github: 'acme/lib' }, 'https://github.com', 'https://github.com/acme/lib.git'],
  [{ github: 'acme/lib' }, 'https://ghe.example.com/', 'https://ghe.example.com/acme/lib.git'],
  [{ git: 'git@host:acme/lib.git' }, 'https://github.com', 'git@host:acme/lib.git'],
])('sourceUrl(%j) on %s', (source, server, url) => {
  expect(sourceUrl(source, server)).toBe(url);
});

test('each repository and ref is asked once; paths are normalised; images without sources are left out', async () => {
  const asked: string[] = [];
  const resolve = async (url: string, ref?: string) => {
    asked.push(`${url} ${ref ?? 'HEAD'}`);
    return (ref === 'v1' ? 'b' : 'a').repeat(40);
  };
  const resolved = await resolveTemplateSources(
    [
      template('fn', { source: { git: 'file:///h.git', ref: 'main', path: './fn/' } }),
      template('app', {
        sources: [
          { git: 'file:///h.git', ref: 'main' },
          { github: 'acme/lib', ref: 'v1' },
        ],
      }),
      template('root', { source: { git: 'file:///h.git' } }),
      template('plain', {}),
    ],
    { resolve, githubServer: 'https://github.com' },
  );
  expect(asked.sort()).toEqual(['file:///h.git HEAD', 'file:///h.git main', 'https://github.com/acme/lib.git v1']);
  expect(resolved.get('fn')).toEqual({ source: { url: 'file:///h.git', ref: 'main', commit: 'a'.repeat(40), path: 'fn' }, sources: [] });
  expect(resolved.get('root')!.source).toEqual({ url: 'file:///h.git', commit: 'a'.repeat(40), path: '.' });
  expect(resolved.get('app')!.sources).toEqual([
    { url: 'file:///h.git', ref: 'main', commit: 'a'.repeat(40) },
    { url: 'https://github.com/acme/lib.git', ref: 'v1', commit: 'b'.repeat(40) },
  ]);
  expect(resolved.has('plain')).toBe(false);
});

test('a repository that cannot be read names the template and the field', async () => {
  const resolve = async () => {
    throw new Error('cannot read file:///gone.git: does not appear to be a git repository');
  };
  await expect(resolveTemplateSources([template('app', { sources: [{ git: 'file:///gone.git' }] })], { resolve })).rejects.toThrow(
    '.coder/images/app.yaml: spec.sources: cannot read file:///gone.git: does not appear to be a git repository',
  );
});
