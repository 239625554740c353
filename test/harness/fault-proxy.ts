// A loopback HTTP proxy in front of a test registry that injects faults on request: error
// statuses, dropped connections, all for the next N requests matching a method and path.
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { freePort } from './ports.js';

export interface FaultRule {
  method?: string;
  /** Matched against the request path (with query). */
  path?: RegExp;
  /** Answer with this status instead of forwarding... */
  status?: number;
  /** ...or close the connection without an answer. */
  drop?: boolean;
  /** How many matching requests to hit (default 1). */
  times?: number;
}

export interface FaultProxy {
  host: string;
  url: string;
  /** Every request seen: `METHOD path`. */
  log: string[];
  /** Faults injected so far. */
  injected: number;
  inject(rule: FaultRule): void;
  stop(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const [targetHost, targetPort] = target.split(':');
  const rules: (FaultRule & { left: number })[] = [];
  const proxy: FaultProxy = {
    host: '',
    url: '',
    log: [],
    injected: 0,
    inject: (rule) => rules.push({ ...rule, left: rule.times ?? 1 }),
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const matching = (req: IncomingMessage) => rules.find((r) => r.left > 0 && (!r.method || r.method === req.method) && (!r.path || r.path.test(req.url ?? '')));

  const server: Server = createServer((req, res) => {
    proxy.log.push(`${req.method} ${req.url}`);
    const rule = matching(req);
    if (rule) {
      rule.left--;
      proxy.injected++;
      if (rule.drop) {
        req.socket.destroy();
        return;
      }
      req.resume();
      req.on('end', () => res.writeHead(rule.status ?? 500, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'injected fault' }] })));
      return;
    }
    const upstream = httpRequest({ host: targetHost, port: Number(targetPort), method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  proxy.host = `127.0.0.1:${port}`;
  proxy.url = `http://${proxy.host}`;
  return proxy;
}
