// Watch streams and log streams over chunked HTTP.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SimError } from '../store/status.js';
import type { Store, Watcher } from '../store/store.js';
import type { FieldRequirement, LabelRequirement } from '../store/selectors.js';
import type { ResourceType } from '../store/types.js';
import type { Faults } from './rbac.js';
import type { LogBuffer } from '../kubelet/kubelet.js';

export function serveWatch(store: Store, faults: Faults, res: ServerResponse, type: ResourceType, ns: string | undefined, labels: LabelRequirement[], fields: FieldRequirement[], query: URLSearchParams): void {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  const watcher: Watcher = { type, namespace: ns, labels, fields, send: (e) => res.write(JSON.stringify(e) + '\n') };
  let unregister: () => void;
  try {
    unregister = store.watch(watcher, query.get('resourceVersion') ?? undefined);
  } catch (err) {
    if (err instanceof SimError) {
      res.end(JSON.stringify({ type: 'ERROR', object: err.toStatus() }) + '\n');
      return;
    }
    throw err;
  }
  const handle = { destroy: () => res.socket?.destroy() };
  faults.openWatches.add(handle);
  const timeout = Number(query.get('timeoutSeconds') ?? 0);
  const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined;
  res.on('close', () => {
    unregister();
    faults.openWatches.delete(handle);
    clearTimeout(timer);
  });
}

export function serveLog(_req: IncomingMessage, res: ServerResponse, log: LogBuffer, query: URLSearchParams): void {
  let text = log.text();
  const tail = query.get('tailLines');
  if (tail) {
    const lines = text.split('\n');
    const trailing = lines.at(-1) === '' ? lines.pop() : undefined;
    text = lines.slice(-Number(tail)).join('\n') + (trailing === '' ? '\n' : '');
  }
  if (query.get('follow') !== 'true') {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end(text);
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  if (text) res.write(text);
  if (log.ended) {
    res.end();
    return;
  }
  const follower = { data: (d: Buffer) => res.write(d), end: () => res.end() };
  log.followers.add(follower);
  res.on('close', () => log.followers.delete(follower));
}
