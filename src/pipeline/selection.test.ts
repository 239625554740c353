import { imageSelection } from './selection.js';

test.each([
  { words: [], since: undefined, expected: { kind: 'all' } },
  { words: [], since: 'abc', expected: { kind: 'changed', since: 'abc' } },
  { words: ['changed'], since: 'abc', expected: { kind: 'changed', since: 'abc' } },
  { words: ['changed'], since: undefined, expected: { kind: 'all' } },
  { words: ['all'], since: 'abc', expected: { kind: 'all' } },
  { words: ['base', 'golden'], since: undefined, expected: { kind: 'names', names: ['base', 'golden'] } },
])('$words since $since', ({ words, since, expected }) => {
  expect(imageSelection(words, since, 'images')).toEqual(expected);
});

test.each([
  [['all', 'base'], "images: 'all' and 'changed' cannot be mixed with image names"],
  [['changed', 'all'], "images: 'all' and 'changed' cannot be mixed with image names"],
])('%j is refused', (words, message) => {
  expect(() => imageSelection(words, undefined, 'images')).toThrow(message);
});

test('names and a commit to compare with are refused together', () => {
  expect(() => imageSelection(['base'], 'abc', 'build')).toThrow('build: give image names or a commit to compare with (since), not both');
});
