import { limiter, mapLimit } from './concurrency.js';

/** A job that records how many jobs run at once and finishes when told to. */
function tracker() {
  let running = 0;
  let peak = 0;
  const order: number[] = [];
  const job = async (i: number, fail = false): Promise<number> => {
    running++;
    peak = Math.max(peak, running);
    order.push(i);
    await new Promise((r) => setTimeout(r, 2));
    running--;
    if (fail) throw new Error(`job ${i} failed`);
    return i * 10;
  };
  return { job, order, peak: () => peak };
}

test.each([1, 2, 3, 10])('limiter(%i) never runs more than that many at once, in arrival order', async (max) => {
  const t = tracker();
  const run = limiter(max);
  const results = await Promise.all(Array.from({ length: 8 }, (_, i) => run(() => t.job(i))));
  expect(results).toEqual([0, 10, 20, 30, 40, 50, 60, 70]);
  expect(t.peak()).toBe(Math.min(max, 8));
  expect(t.order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
});

test('a failing job frees its slot for the next', async () => {
  const run = limiter(1);
  const first = run(() => Promise.reject(new Error('boom')));
  const second = run(async () => 'ok');
  await expect(first).rejects.toThrow('boom');
  await expect(second).resolves.toBe('ok');
});

test.each([0, -1, 1.5, NaN])('limiter(%p) is refused', (max) => {
  expect(() => limiter(max)).toThrow('whole number');
});

test('mapLimit keeps item order and the limit', async () => {
  const t = tracker();
  expect(await mapLimit([5, 6, 7, 8, 9], 2, (x) => t.job(x))).toEqual([50, 60, 70, 80, 90]);
  expect(t.peak()).toBe(2);
});

test('mapLimit starts nothing new after a failure and throws the first error', async () => {
  const t = tracker();
  await expect(mapLimit([0, 1, 2, 3, 4, 5], 2, (x) => t.job(x, x === 1))).rejects.toThrow('job 1 failed');
  // 0 and 1 ran together; 2 started when 0 finished (before 1 failed); nothing after that.
  expect(t.order).toEqual([0, 1, 2]);
});
