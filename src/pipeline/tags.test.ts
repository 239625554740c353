import { branchSlug, buildTags, destinationRepository, destinations, imageLabels, inputsTag, parseBaseLabel, parseSourceLabel, promotionTags, testTag } from './tags.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const HASH = `sha256:${'a'.repeat(64)}`;

test.each([
  ['ghcr.io/acme/dev', undefined, 'ghcr.io/acme/dev'],
  ['acme/dev', undefined, 'acme/dev'],
  ['busybox', undefined, 'busybox'],
  ['ghcr.io/acme/dev', '', 'ghcr.io/acme/dev'],
  ['ghcr.io/acme/dev', 'ghcr.io/acme', 'ghcr.io/acme/dev'],
  ['acme/dev', 'ghcr.io/acme', 'ghcr.io/acme/dev'],
  ['docker.io/acme/dev', 'ghcr.io/acme/', 'ghcr.io/acme/dev'],
  ['ghcr.io/acme/dev', '127.0.0.1:5000', '127.0.0.1:5000/acme/dev'],
  ['ghcr.io/acme/dev', '127.0.0.1:5000/ci', '127.0.0.1:5000/ci/acme/dev'],
  ['ghcr.io/acme/team/dev', 'registry.local/org/acme/team', 'registry.local/org/acme/team/dev'],
  ['ghcr.io/other/dev', 'ghcr.io/acme', 'ghcr.io/acme/other/dev'],
  ['busybox', 'localhost:5000', 'localhost:5000/busybox'],
])('destinationRepository(%s, %s) = %s', (repository, registry, expected) => {
  expect(destinationRepository(repository, registry)).toBe(expected);
});

test.each([
  ['ghcr.io/acme/dev', 'acme', "invalid registry 'acme'"],
  ['ghcr.io/acme/dev', 'ghcr.io/Acme', "invalid registry 'ghcr.io/Acme'"],
  ['ghcr.io/acme/dev:1', 'ghcr.io', 'must not carry a tag or digest'],
  ['ghcr.io/Acme/dev', 'ghcr.io', 'repository names must be lowercase'],
])('destinationRepository(%s, %s) fails: %s', (repository, registry, message) => {
  expect(() => destinationRepository(repository, registry)).toThrow(message);
});

test.each([
  ['main', 'main'],
  ['refs/heads/feature/Login', 'feature-Login'],
  ['release/1.2', 'release-1.2'],
  ['dependabot/npm_and_yarn/yaml-2.9', 'dependabot-npm_and_yarn-yaml-2.9'],
  ['-.odd--', 'odd'],
  ['fix: spaces & symbols!', 'fix-spaces-symbols'],
  ['ünïcode', 'n-code'],
  ['///', undefined],
  ['x'.repeat(200), 'x'.repeat(128)],
])('branchSlug(%s) = %s', (branch, expected) => {
  expect(branchSlug(branch)).toBe(expected);
});

const plain = { name: 'dev', repository: 'ghcr.io/acme/dev', tags: [] };
const variant = { name: 'base-ubuntu', repository: 'ghcr.io/acme/base', tags: ['ubuntu', '24.04'] };

test.each([
  ['plain image on a branch', plain, 'main', ['test', SHA, 'main', `inputs-${'a'.repeat(64)}`]],
  ['plain image, detached HEAD', plain, undefined, ['test', SHA, `inputs-${'a'.repeat(64)}`]],
  ['branch named test is not pushed twice', plain, 'test', ['test', SHA, `inputs-${'a'.repeat(64)}`]],
  ['branch named latest would promote untested: left out', plain, 'latest', ['test', SHA, `inputs-${'a'.repeat(64)}`]],
  ['variant image', variant, 'feature/x', ['ubuntu-test', `ubuntu-${SHA}`, 'ubuntu-feature-x', `inputs-${'a'.repeat(64)}`]],
])('buildTags: %s', (_title, image, branch, expected) => {
  expect(buildTags(image, { commit: SHA, branch }, HASH)).toEqual(expected);
});

test('test and promotion tags', () => {
  expect(testTag(plain)).toBe('test');
  expect(promotionTags(plain)).toEqual(['latest']);
  expect(testTag(variant)).toBe('ubuntu-test');
  expect(promotionTags(variant)).toEqual(['ubuntu', '24.04']);
});

test('a long branch on a variant stays within 128 characters', () => {
  const tags = buildTags(variant, { commit: SHA, branch: 'b'.repeat(200) }, HASH);
  expect(tags[2]).toBe(`ubuntu-${'b'.repeat(121)}`);
});

test('outside git there is no commit tag and no revision label', () => {
  expect(buildTags(plain, { branch: 'main' }, HASH)).toEqual(['test', 'main', `inputs-${'a'.repeat(64)}`]);
  expect(imageLabels(plain, { created: '2026-11-20T22:00:00Z' }, HASH)).not.toHaveProperty('org.opencontainers.image.revision');
});

test('an abbreviated commit is refused', () => {
  expect(() => buildTags(plain, { commit: 'abc123', branch: 'main' }, HASH)).toThrow('not a full commit SHA');
});

test('inputsTag accepts bare hex and sha256: prefixed hashes', () => {
  expect(inputsTag('b'.repeat(64))).toBe(`inputs-${'b'.repeat(64)}`);
  expect(inputsTag(HASH)).toBe(`inputs-${'a'.repeat(64)}`);
  expect(() => inputsTag('nope')).toThrow('not an input hash');
});

test('destinations map the repository to the registry in use', () => {
  expect(destinations(plain, { commit: SHA, branch: 'main' }, HASH, '127.0.0.1:5000')).toEqual([
    '127.0.0.1:5000/acme/dev:test',
    `127.0.0.1:5000/acme/dev:${SHA}`,
    '127.0.0.1:5000/acme/dev:main',
    `127.0.0.1:5000/acme/dev:inputs-${'a'.repeat(64)}`,
  ]);
});

test('labels carry the OCI annotations and the input hash', () => {
  const origin = { commit: SHA, branch: 'main', sourceUrl: 'https://github.com/acme/templates', created: '2026-11-20T22:00:00Z' };
  expect(imageLabels(plain, origin, HASH)).toEqual({
    'org.opencontainers.image.title': 'dev',
    'org.opencontainers.image.source': 'https://github.com/acme/templates',
    'org.opencontainers.image.revision': SHA,
    'org.opencontainers.image.created': '2026-11-20T22:00:00Z',
    'org.coder.build-image.inputs': HASH,
  });
  expect(imageLabels(plain, { ...origin, sourceUrl: undefined }, HASH)).not.toHaveProperty('org.opencontainers.image.source');
});

test('labels record outside bases by digest, parents and linked sources; a source context takes the OCI revision', () => {
  const origin = { commit: SHA, sourceUrl: 'https://github.com/acme/templates', created: '2026-11-20T22:00:00Z' };
  const digest = `sha256:${'b'.repeat(64)}`;
  const image = {
    name: 'fn',
    externalBases: ['docker.io/library/busybox:1.36', 'unresolved:1', `busybox@${digest}`],
    source: { url: 'file:///srv/handler.git', commit: 'c'.repeat(40) },
    sources: [{ url: 'git@github.com:acme/lib.git', ref: 'main', commit: 'd'.repeat(40) }],
  };
  const bases = { 'docker.io/library/busybox:1.36': digest, 'unresolved:1': 'unresolved:1', [`busybox@${digest}`]: digest, base: digest };
  const labels = imageLabels(image, origin, HASH, { bases, parents: { base: `r/acme/base@${digest}` } });
  expect(labels).toMatchObject({
    'org.opencontainers.image.revision': 'c'.repeat(40),
    'org.opencontainers.image.source': 'file:///srv/handler.git',
    'org.coder.build-image.templates.revision': SHA,
    'org.coder.build-image.templates.source': 'https://github.com/acme/templates',
    'org.coder.build-image.base.0': `busybox@${digest}`,
    'org.coder.build-image.base.1': `docker.io/library/busybox:1.36@${digest}`,
    'org.coder.build-image.parent.base': `r/acme/base@${digest}`,
    'org.coder.build-image.source.0': `git@github.com:acme/lib.git#main@${'d'.repeat(40)}`,
  });
  expect(Object.keys(labels).filter((k) => k.startsWith('org.coder.build-image.base.'))).toHaveLength(2);
  expect(parseSourceLabel(labels['org.coder.build-image.source.0']!)).toEqual(image.sources[0]);
  expect(parseBaseLabel(labels['org.coder.build-image.base.1']!)).toEqual({ reference: 'docker.io/library/busybox:1.36', digest });
});

test.each([
  ['file:///x.git#@' + 'a'.repeat(40), { url: 'file:///x.git', commit: 'a'.repeat(40) }],
  ['https://h/x.git#v1.2@' + 'a'.repeat(40), { url: 'https://h/x.git', ref: 'v1.2', commit: 'a'.repeat(40) }],
  ['no commit here', undefined],
])('source label %s reads back', (value, parsed) => {
  expect(parseSourceLabel(value)).toEqual(parsed);
});
