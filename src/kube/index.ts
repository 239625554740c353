export { KubeClient, loadKubeConfig, describePermission, exitCodeOf, type KubeClientOptions, type Permission, type ExecResult } from './client.js';
export { KubeError, toKubeError } from './errors.js';
export { withRetry, backoffDelay, isTransient, DEFAULT_RETRY, type RetryOptions } from './retry.js';
export * from './labels.js';
export * from './manifests.js';
