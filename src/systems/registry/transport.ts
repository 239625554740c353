// One HTTP exchange with a registry over node:http / node:https, with keep-alive agents.
// Bodies are Buffers or stream factories, so a retry can send the same bytes again.
import type http from 'node:http';
import type { Agent } from 'node:https';
import type { Readable } from 'node:stream';
import { DEFAULT_RETRY, type RetryOptions } from '../../lib/retry.js';

export type RequestBody = Buffer | (() => Readable);

export interface TransportRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: RequestBody;
  /** Skip TLS certificate verification (only for hosts the user listed as insecure). */
  insecureTls?: boolean;
  timeoutMs?: number;
}

export interface TransportResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
}

const AGENT_OPTIONS = { keepAlive: true, maxSockets: 32, keepAliveMsecs: 10_000 };
// node:http and node:https (with TLS and all of node:crypto) take 25 ms to load: they are
// loaded, and the keep-alive agents made, at the first request of their kind.
const agents: { http?: http.Agent; https?: Agent; httpsInsecure?: Agent } = {};

function agentFor(isHttps: boolean, insecureTls: boolean): http.Agent {
  if (!isHttps) return (agents.http ??= new (process.getBuiltinModule('node:http').Agent)(AGENT_OPTIONS));
  const https = process.getBuiltinModule('node:https');
  return insecureTls ? (agents.httpsInsecure ??= new https.Agent({ ...AGENT_OPTIONS, rejectUnauthorized: false })) : (agents.https ??= new https.Agent(AGENT_OPTIONS));
}

/** Sends one request; resolves when the response headers arrive (the body is left unread). */
export function send(request: TransportRequest): Promise<TransportResponse> {
  return new Promise((resolve, reject) => {
    const isHttps = request.url.protocol === 'https:';
    const agent = agentFor(isHttps, request.insecureTls === true);
    const headers: Record<string, string> = { ...request.headers };
    if (Buffer.isBuffer(request.body)) headers['Content-Length'] = String(request.body.length);
    else if (!request.body && request.method !== 'GET' && request.method !== 'HEAD' && !('Content-Length' in headers)) headers['Content-Length'] = '0';
    const req = process.getBuiltinModule(isHttps ? 'node:https' : 'node:http').request(request.url, { method: request.method, headers, agent }, (res) => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res });
    });
    req.setTimeout(request.timeoutMs ?? 120_000, () => {
      req.destroy(Object.assign(new Error(`no response from ${request.url.host} in ${Math.round((request.timeoutMs ?? 120_000) / 1000)} s`), { code: 'ETIMEDOUT' }));
    });
    req.on('error', reject);
    const body = request.body;
    if (body === undefined) {
      req.end();
    } else if (Buffer.isBuffer(body)) {
      req.end(body);
    } else {
      let stream: Readable;
      try {
        stream = body();
      } catch (err) {
        req.destroy();
        reject(err);
        return;
      }
      stream.on('error', (err) => req.destroy(err));
      stream.pipe(req);
    }
  });
}

/** Reads a (small) response body into memory, up to `limit` bytes. */
export async function readBody(res: TransportResponse, limit = 16 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      res.body.destroy();
      throw new Error(`response from ${res.body.url ?? 'registry'} is larger than ${limit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Drains a response body we do not need, so its socket can be reused. */
export async function discardBody(res: TransportResponse): Promise<void> {
  try {
    for await (const _ of res.body) {
      // drain
    }
  } catch {
    // the connection is closed anyway
  }
}

const RETRYABLE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE']);

/** Connection-level failures worth another attempt. */
export function isRetryableError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code && RETRYABLE_CODES.has(code)) return true;
  return err instanceof Error && /socket hang up|aborted/i.test(err.message);
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

/** TLS spoken to a plain HTTP server fails like this: the sign to fall back to http://. */
export function looksLikeTlsMismatch(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException | undefined;
  return e?.code === 'EPROTO' || e?.code === 'ECONNRESET' || (e?.code ?? '').startsWith('ERR_SSL') || /wrong version number|packet length too long|ssl/i.test(e?.message ?? '');
}

/** Registry defaults: a shorter cap than Kubernetes', since a push retries per blob. */
export const DEFAULT_BACKOFF: RetryOptions = { ...DEFAULT_RETRY, maxDelayMs: 4000, maxRetryAfterMs: 4000 };
