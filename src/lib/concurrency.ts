// The one concurrency limiter: at most `max` async jobs at a time, in the order they asked.
// Registry copies, archive pushes, build avoidance lookups and promotion use it; the image
// graph has its own runner (src/pipeline/scheduler.ts runGraph), which adds parents and priority.

/** Returns `run(fn)`: starts fn when fewer than `max` are running, else queues it (first come, first served). */
export function limiter(max: number): <T>(fn: () => Promise<T>) => Promise<T> {
  if (!Number.isInteger(max) || max < 1) throw new Error(`a concurrency limit must be a whole number of at least 1, not ${max}`);
  let active = 0;
  const queue: (() => void)[] = [];
  // A finishing job hands its slot straight to the next in the queue, so a newcomer arriving in
  // between cannot take it too: `active` never exceeds `max`.
  const release = (): void => {
    const next = queue.shift();
    if (next) next();
    else active--;
  };
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= max) await new Promise<void>((resolve) => queue.push(resolve));
    else active++;
    try {
      return await fn();
    } finally {
      release();
    }
  };
}

/**
 * `fn` over every item, at most `limit` at a time; results in item order. After the first
 * failure no new item starts, the running ones finish, and that first error is thrown.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const run = limiter(limit);
  let failure: { error: unknown } | undefined;
  const results = await Promise.all(
    items.map((item, index) =>
      run(async () => {
        if (failure) return undefined as R;
        try {
          return await fn(item, index);
        } catch (error) {
          failure ??= { error };
          return undefined as R;
        }
      }),
    ),
  );
  if (failure) throw failure.error;
  return results;
}
