import { branchSlug, promotionTags, testTag } from '../pipeline/tags.js';
import type { ImageTemplate } from '../templates/types.js';
import { branchTag, promotedTags, Publishers, testTagOf } from './published.js';
import { parseReference } from '../systems/registry/reference.js';

// The graph's rule must be the one the build applies when it pushes and promotes.
test.each([[[]], [['ubuntu']], [['3.4-bookworm', '3.4', 'latest']], [['x'.repeat(128)]]])('tags %p: the graph and the build agree', (tags) => {
  const image = { name: 'a', repository: 'ghcr.io/acme/a', tags };
  expect(promotedTags(tags)).toEqual(promotionTags(image));
  expect(testTagOf(tags)).toBe(testTag(image));
});

test.each(['main', 'refs/heads/feature/Login', '..x', '---'])('branch %p: the graph and the build agree', (branch) => {
  expect(branchTag(branch)).toBe(branchSlug(branch));
});

const template = (name: string, image: string, tags: string[]): ImageTemplate => ({
  kind: 'image',
  name,
  file: `.coder/images/${name}.yaml`,
  spec: { context: '.', dockerfile: 'Dockerfile', image, tags, parameters: [], watch: [], smoke: [], sources: [] },
});

const publishers = new Publishers([template('plain', 'ghcr.io/acme/plain', []), template('u', 'docker.io/acme/base', ['ubuntu', '24.04']), template('c', 'acme/base', ['centos'])], 'feature/x');

test.each([
  ['ghcr.io/acme/plain', 'plain'],
  ['ghcr.io/acme/plain:latest', 'plain'],
  ['ghcr.io/acme/plain:test', 'plain'],
  [`ghcr.io/acme/plain:${'0'.repeat(40)}`, 'plain'],
  ['ghcr.io/acme/plain:feature-x', 'plain'],
  ['ghcr.io/acme/plain:main', undefined],
  ['ghcr.io/acme/plain:1.0', undefined],
  [`ghcr.io/acme/plain@sha256:${'a'.repeat(64)}`, undefined],
  ['acme/base:ubuntu', 'u'],
  ['docker.io/acme/base:24.04', 'u'],
  ['acme/base:ubuntu-test', 'u'],
  ['acme/base:centos-feature-x', 'c'],
  ['acme/base', undefined],
  ['acme/base:debian', undefined],
  ['busybox', undefined],
])('%s -> %p', (ref, expected) => {
  const r = publishers.resolve(parseReference(ref));
  expect(r.kind === 'template' ? r.template.name : undefined).toBe(expected);
});
