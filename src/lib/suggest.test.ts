import { closest, editDistance } from './suggest.js';

test.each([
  ['ghrc', 'ghcr', 1],
  ['contxt', 'context', 1],
  ['kitten', 'sitting', 3],
  ['', 'abc', 3],
])('editDistance(%p, %p) = %p', (a, b, d) => expect(editDistance(a, b)).toBe(d));

test.each([
  ['contxt', ['context', 'image', 'tags'], 'context'],
  ['goldn', ['base', 'golden'], 'golden'],
  ['xyz', ['base', 'golden'], undefined],
])('closest(%p) = %p', (word, candidates, expected) => expect(closest(word, candidates)).toBe(expected));
