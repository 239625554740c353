// The one backoff rule for every outside system (registry, Kubernetes): capped exponential
// delays with jitter, a server's Retry-After as the floor (itself capped), and a sleep that an
// AbortSignal cuts short. What counts as transient is each system's own business.

export interface RetryOptions {
  /** Total tries, first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Upper bound for a server's Retry-After. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 6, baseDelayMs: 250, maxDelayMs: 8000, maxRetryAfterMs: 30000 };

/**
 * Delay before retry number `attempt` (1 for the first retry): exponential, capped, with up to 25%
 * jitter below the cap; a Retry-After (seconds), when given, is the floor (itself capped).
 */
export function backoffDelay(attempt: number, options: RetryOptions, retryAfterSeconds?: number, random: () => number = Math.random): number {
  const exponential = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  const jittered = Math.round(exponential * (0.75 + 0.25 * random()));
  if (retryAfterSeconds === undefined) return jittered;
  return Math.min(options.maxRetryAfterMs, Math.max(jittered, retryAfterSeconds * 1000));
}

/** A `Retry-After` header in seconds; the HTTP-date form and garbage give undefined. */
export function retryAfterSeconds(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
