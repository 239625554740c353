// Retries for transient Kubernetes API failures: 429 (honouring Retry-After), 5xx and dropped
// connections, with capped exponential backoff.
import { httpStatusOf, isNetworkError, retryAfterOf, toKubeError } from './errors.js';

export interface RetryOptions {
  /** Total tries, first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Upper bound for a server's Retry-After. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 6, baseDelayMs: 250, maxDelayMs: 8000, maxRetryAfterMs: 30000 };

export function isTransient(err: unknown): boolean {
  const status = httpStatusOf(err);
  if (status !== undefined) return status === 429 || (status >= 500 && status !== 501);
  return isNetworkError(err);
}

/**
 * Delay before retry number `attempt` (1 for the first retry): exponential, capped, with up to 25%
 * jitter below the cap; a Retry-After, when given, is the floor (itself capped).
 */
export function backoffDelay(attempt: number, options: RetryOptions, retryAfterSeconds?: number, random: () => number = Math.random): number {
  const exponential = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  const jittered = Math.round(exponential * (0.75 + 0.25 * random()));
  if (retryAfterSeconds === undefined) return jittered;
  return Math.min(options.maxRetryAfterMs, Math.max(jittered, retryAfterSeconds * 1000));
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

/**
 * Runs `fn`, retrying transient failures. Other errors, and the last transient one, are thrown as
 * a KubeError that says what was being done. `onRetry` hears about each retry (for logs).
 */
export async function withRetry<T>(
  doing: string,
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions = DEFAULT_RETRY,
  hooks: { signal?: AbortSignal; onRetry?: (message: string, delayMs: number) => void } = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (hooks.signal?.aborted) throw hooks.signal.reason;
      if (!isTransient(err) || attempt >= options.attempts) {
        const kubeError = toKubeError(err, doing);
        throw attempt > 1 && isTransient(err) ? Object.assign(kubeError, { message: `${kubeError.message} (gave up after ${attempt} attempts)` }) : kubeError;
      }
      const delay = backoffDelay(attempt, options, retryAfterOf(err));
      hooks.onRetry?.(`${toKubeError(err, doing).message}; retrying in ${delay} ms`, delay);
      await sleep(delay, hooks.signal);
    }
  }
}
