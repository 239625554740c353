// Retries for transient Kubernetes API failures: 429 (honouring Retry-After), 5xx and dropped
// connections, with capped exponential backoff.
import { backoffDelay, DEFAULT_RETRY, sleep, type RetryOptions } from '../../lib/retry.js';
import { httpStatusOf, isNetworkError, retryAfterOf, toKubeError } from './errors.js';

export { backoffDelay, DEFAULT_RETRY, sleep, type RetryOptions };

export function isTransient(err: unknown): boolean {
  const status = httpStatusOf(err);
  if (status !== undefined) return status === 429 || (status >= 500 && status !== 501);
  return isNetworkError(err);
}

/**
 * Runs `fn`, retrying transient failures. Other errors, and the last transient one, are thrown as
 * a KubeError that says what was being done. `onRetry` hears about each retry (for logs).
 */
export async function withRetry<T>(doing: string, fn: (attempt: number) => Promise<T>, options: RetryOptions = DEFAULT_RETRY, hooks: { signal?: AbortSignal; onRetry?: (message: string, delayMs: number) => void } = {}): Promise<T> {
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
