// Kubernetes errors for people: the API server's own `Status` message and reason, never the
// client library's dump of headers and body.
import { UserError } from '../../lib/errors.js';
import { retryAfterSeconds } from '../../lib/retry.js';

export class KubeError extends UserError {
  constructor(
    message: string,
    readonly status?: number,
    readonly reason?: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'KubeError';
  }
}

interface StatusBody {
  message?: string;
  reason?: string;
  code?: number;
}

function parseStatus(body: unknown): StatusBody | undefined {
  if (body && typeof body === 'object') return body as StatusBody;
  if (typeof body !== 'string' || !body.trim().startsWith('{')) return undefined;
  try {
    return JSON.parse(body) as StatusBody;
  } catch {
    return undefined;
  }
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET']);

/** HTTP status of a client-node error (ApiException `code`, watch `statusCode`, websocket handshake text). */
export function httpStatusOf(err: unknown): number | undefined {
  if (err instanceof KubeError) return err.status;
  const e = err as { code?: unknown; statusCode?: unknown; message?: unknown };
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  const m = typeof e?.message === 'string' ? /Unexpected server response: (\d{3})/.exec(e.message) : null;
  return m ? Number(m[1]) : undefined;
}

export function isNetworkError(err: unknown): boolean {
  const e = err as { code?: unknown; errno?: unknown; type?: unknown; message?: unknown; cause?: unknown };
  if (typeof e?.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  if (e?.type === 'system') return true; // node-fetch FetchError from a socket
  if (typeof e?.message === 'string' && /socket hang up|Premature close|ECONNRESET|ECONNREFUSED/.test(e.message)) return true;
  return e?.cause ? isNetworkError(e.cause) : false;
}

/** Seconds from a Retry-After header (client-node lower-cases header names). */
export function retryAfterOf(err: unknown): number | undefined {
  if (err instanceof KubeError) return err.retryAfterSeconds;
  const headers = (err as { headers?: Record<string, string> })?.headers;
  return retryAfterSeconds(headers?.['retry-after'] ?? headers?.['Retry-After']);
}

/** Turns any error from client-node into a KubeError saying what was being done and why it failed. */
export function toKubeError(err: unknown, doing: string): KubeError {
  if (err instanceof KubeError) return err;
  const status = httpStatusOf(err);
  const body = parseStatus((err as { body?: unknown })?.body);
  if (status !== undefined) {
    const why = body?.message || (status === 401 ? 'Unauthorized: the credentials were rejected' : `HTTP ${status}`);
    const reason = body?.reason;
    return new KubeError(`${doing}: ${why}${reason ? ` (${reason})` : ''}`, status, reason, retryAfterOf(err));
  }
  const message = err instanceof Error ? err.message : String(err);
  if (isNetworkError(err)) return new KubeError(`${doing}: cannot reach the Kubernetes API server (${message})`);
  return new KubeError(`${doing}: ${message}`);
}
