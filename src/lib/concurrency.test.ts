import { limiter, mapLimit } from './concurrency.js';

const tick = () => new Promise((r) => setTimeout(r, 2));

test.each([1, 3, 16])('mapLimit keeps order and never runs more than %i at once', async (limit) => {
  let running = 0;
  let peak = 0;
  const out = await mapLimit([...Array(20).keys()], limit, async (n) => {
    peak = Math.max(peak, ++running);
    await tick();
    running--;
    return n * 2;
  });
  expect(out).toEqual([...Array(20).keys()].map((n) => n * 2));
  expect(peak).toBe(limit);
});

test('mapLimit rejects with the first error and starts nothing new after it', async () => {
  const started: number[] = [];
  await expect(mapLimit([1, 2, 3, 4, 5], 1, async (n) => {
    started.push(n);
    if (n === 2) throw new Error('two');
  })).rejects.toThrow('two');
  expect(started).toEqual([1, 2]);
  expect(await mapLimit([], 4, async () => 1)).toEqual([]);
});

test('limiter bounds promises started through it', async () => {
  const limit = limiter(2);
  let running = 0;
  let peak = 0;
  await Promise.all([...Array(7)].map(() => limit(async () => {
    peak = Math.max(peak, ++running);
    await tick();
    running--;
  })));
  expect(peak).toBe(2);
});
