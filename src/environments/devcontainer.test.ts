import { devcontainerTag, parseDevcontainer } from './devcontainer.js';
import { candidateTags } from './resolve.js';

test.each([
  [
    'image with env and user',
    '// comment\n{ "image": "reg/dev:1", "containerEnv": { "A": "1", "N": 2 }, "remoteUser": "coder", }',
    { file: '.devcontainer/devcontainer.json', parent: { kind: 'image', reference: 'reg/dev:1' }, containerEnv: { A: '1', N: '2' }, remoteUser: 'coder' },
  ],
  [
    'build relative to the file',
    '{ "build": { "dockerfile": "Dockerfile", "context": "..", "args": { "V": "3" } } }',
    { file: '.devcontainer/devcontainer.json', parent: { kind: 'build', dockerfile: '.devcontainer/Dockerfile', context: '.', args: { V: '3' } }, containerEnv: {} },
  ],
  [
    'the old dockerFile key, context defaults to the folder',
    '{ "dockerFile": "../images/dev/Dockerfile" }',
    { file: '.devcontainer/devcontainer.json', parent: { kind: 'build', dockerfile: 'images/dev/Dockerfile', context: '.devcontainer', args: {} }, containerEnv: {} },
  ],
])('devcontainer: %s', (_name, text, expected) => {
  expect(parseDevcontainer('.devcontainer/devcontainer.json', text)).toEqual(expected);
});

test('features stay a clear error', () => {
  expect(() => parseDevcontainer('dc.json', '{ "image": "x", "features": { "ghcr.io/devcontainers/features/go:1": {} } }')).toThrow(
    'dc.json: features are not supported (ghcr.io/devcontainers/features/go:1); install those tools in the Dockerfile instead',
  );
});

test('the devcontainer tag follows its inputs', () => {
  const a = devcontainerTag(['f 644 1'], 'FROM x', { A: '1' });
  expect(a).toMatch(/^devcontainer-[0-9a-f]{20}$/);
  expect(devcontainerTag(['f 644 1'], 'FROM x', { A: '1' })).toBe(a);
  expect(devcontainerTag(['f 644 2'], 'FROM x', { A: '1' })).not.toBe(a);
  expect(devcontainerTag(['f 644 1'], 'FROM x', { A: '2' })).not.toBe(a);
});

const SHA = '0123456789abcdef0123456789abcdef01234567';
test.each<[string[], string | undefined, string | undefined, string[]]>([
  [[], 'main', undefined, ['main']],
  [[], 'main', SHA, ['main', SHA]],
  [['ubuntu'], 'main', SHA, ['ubuntu-main', `ubuntu-${SHA}`]],
  [['ubuntu'], undefined, undefined, ['ubuntu']],
  [[], undefined, undefined, ['latest']],
  [[], 'latest', undefined, ['latest']],
  [['ubuntu'], 'ubuntu', undefined, ['ubuntu', 'ubuntu-ubuntu']],
  [[], SHA, SHA, [SHA]],
  [[], 'refs/heads/feature/x', undefined, ['feature-x']],
])('candidate tags for fixed tags %j at %s', (tags, ref, commit, expected) => {
  expect(candidateTags({ spec: { tags, image: 'reg/acme/dev' } as never }, ref, commit)).toEqual(expected);
});
