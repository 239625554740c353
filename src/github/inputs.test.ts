import { lowercaseRegistry } from './inputs.js';

test.each([
  ['ghcr.io/Acme-Corp', 'ghcr.io/acme-corp'],
  ['GHCR.IO/acme/', 'ghcr.io/acme'],
  ['127.0.0.1:5000', '127.0.0.1:5000'],
  [' registry.example.com/Team/Sub ', 'registry.example.com/team/sub'],
])('lowercaseRegistry(%j) = %j', (input, expected) => {
  expect(lowercaseRegistry(input)).toBe(expected);
});
