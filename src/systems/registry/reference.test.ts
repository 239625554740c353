import { UserError } from '../../lib/errors.js';
import { familiarName, formatFamiliar, formatReference, normalizedName, parseReference, withDefaultTag } from './reference.js';

const D = `sha256:${'a'.repeat(64)}`;

describe('parseReference', () => {
  test.each([
    ['busybox', { registry: 'docker.io', repository: 'library/busybox' }],
    ['busybox:1.36', { registry: 'docker.io', repository: 'library/busybox', tag: '1.36' }],
    ['library/busybox', { registry: 'docker.io', repository: 'library/busybox' }],
    ['docker.io/busybox', { registry: 'docker.io', repository: 'library/busybox' }],
    ['index.docker.io/library/busybox:1', { registry: 'docker.io', repository: 'library/busybox', tag: '1' }],
    ['acme/dev', { registry: 'docker.io', repository: 'acme/dev' }],
    ['ghcr.io/acme/dev:main', { registry: 'ghcr.io', repository: 'acme/dev', tag: 'main' }],
    ['ghcr.io/dev', { registry: 'ghcr.io', repository: 'dev' }],
    ['localhost/dev', { registry: 'localhost', repository: 'dev' }],
    ['localhost:5000/a/b/c:t', { registry: 'localhost:5000', repository: 'a/b/c', tag: 't' }],
    ['127.0.0.1:40123/base/busybox:test', { registry: '127.0.0.1:40123', repository: 'base/busybox', tag: 'test' }],
    [`busybox@${D}`, { registry: 'docker.io', repository: 'library/busybox', digest: D }],
    [`ghcr.io/a/b:v1@${D}`, { registry: 'ghcr.io', repository: 'a/b', tag: 'v1', digest: D }],
    ['my_org/my-repo__x.y', { registry: 'docker.io', repository: 'my_org/my-repo__x.y' }],
    ['[::1]:5000/x', { registry: '[::1]:5000', repository: 'x' }],
  ])('%s', (text, expected) => {
    expect(parseReference(text)).toEqual(expected);
  });

  test.each([
    ['', /empty/],
    ['Busybox', /lowercase/],
    ['ghcr.io/Acme/dev', /lowercase/],
    ['busybox:', /not a valid tag/],
    ['busybox:-x', /not a valid tag/],
    ['busybox@sha256:abc', /not a digest/],
    ['a//b', /empty path component/],
    ['ghcr.io/', /empty path component/],
    ['a b', /whitespace/],
    ['-a/b', /not a valid path component/],
    [':tag', /repository name is missing/],
    [`x/${'a'.repeat(300)}`, /longer than/],
  ])('rejects %j', (text, message) => {
    expect(() => parseReference(text)).toThrow(UserError);
    expect(() => parseReference(text)).toThrow(message);
  });
});

describe('formatting', () => {
  test.each([
    ['busybox', 'docker.io/library/busybox', 'busybox', 'docker.io/library/busybox'],
    ['busybox:1', 'docker.io/library/busybox', 'busybox', 'docker.io/library/busybox:1'],
    ['acme/dev:x', 'docker.io/acme/dev', 'acme/dev', 'docker.io/acme/dev:x'],
    ['library/a/b', 'docker.io/library/a/b', 'library/a/b', 'docker.io/library/a/b'],
    [`ghcr.io/a/b:t@${D}`, 'ghcr.io/a/b', 'ghcr.io/a/b', `ghcr.io/a/b:t@${D}`],
  ])('%s', (text, normalized, familiar, formatted) => {
    const ref = parseReference(text);
    expect(normalizedName(ref)).toBe(normalized);
    expect(familiarName(ref)).toBe(familiar);
    expect(formatReference(ref)).toBe(formatted);
    expect(parseReference(formatReference(ref))).toEqual(ref);
    expect(parseReference(formatFamiliar(ref))).toEqual(ref);
  });

  test('withDefaultTag adds latest only when there is neither tag nor digest', () => {
    expect(withDefaultTag(parseReference('busybox')).tag).toBe('latest');
    expect(withDefaultTag(parseReference('busybox:1')).tag).toBe('1');
    expect(withDefaultTag(parseReference(`busybox@${D}`)).tag).toBeUndefined();
  });
});
