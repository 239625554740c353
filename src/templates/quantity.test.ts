import { checkQuantity } from './quantity.js';

test.each([
  ['cpu', 2, '2'],
  ['cpu', '500m', '500m'],
  ['cpu', '1.5', '1.5'],
  ['cpu', '2 cores', '2'],
  ['cpu', '250 millicores', '250m'],
  ['memory', '4Gi', '4Gi'],
  ['memory', '4GB', '4Gi'],
  ['memory', '512 MB', '512Mi'],
  ['memory', '4gb', '4Gi'],
  ['memory', '2G', '2G'],
  ['memory', '1e9', '1e9'],
  ['memory', '4 GiB', '4Gi'],
] as const)('%s %p is accepted as %p', (kind, raw, expected) => {
  expect(checkQuantity(kind, raw)).toMatchObject({ ok: true, value: expected });
});

test.each([
  ['cpu', 'two', /write cores like '2'/],
  ['cpu', '-1', /not a Kubernetes quantity/],
  ['cpu', 0, /more than 0/],
  ['memory', '4 gigs', /write it like '4Gi'/],
  ['memory', '512m', /millibytes.*'512Mi'/],
  ['memory', true, /quantity such as '4Gi'/],
] as const)('%s %p is rejected with the fix', (kind, raw, message) => {
  const result = checkQuantity(kind, raw);
  expect(result.ok).toBe(false);
  if (!result.ok) expect(result.message).toMatch(message);
});
