// A registry token server (the distribution "token authentication" spec) for tests: it checks
// Basic logins, grants scopes by a rule, and signs RS256 JWTs whose `x5c` header carries a
// self-signed certificate that the registry trusts through `auth.token.rootcertbundle`.
import { createServer, type Server } from 'node:http';
import { createSign, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedCertificate } from './token-server-cert.js';
import { freePort } from './ports.js';

export interface TokenServerOptions {
  /** user -> password */
  users: Record<string, string>;
  /** Which actions a subject (user, or '' when anonymous) gets on a repository. Default: all for users, none for anonymous. */
  grant?: (subject: string, repository: string, actions: string[]) => string[];
  /** Lifetime of tokens in seconds (default 300). */
  expiresIn?: number;
  service?: string;
  issuer?: string;
}

export interface TokenServer {
  realm: string;
  service: string;
  issuer: string;
  /** The `auth:` section to pass to startRegistry({extraConfig}). */
  registryConfig: string;
  /** Every token request received: subject and scopes. */
  requests: { subject: string; scopes: string[] }[];
  stop(): Promise<void>;
}

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const cert = selfSignedCertificate('build-image-test-token-issuer');
  const dir = mkdtempSync(join(tmpdir(), 'bi-token-'));
  const bundle = join(dir, 'root.pem');
  writeFileSync(bundle, cert.certPem);
  const service = options.service ?? 'build-image-test-registry';
  const issuer = options.issuer ?? 'build-image-test-issuer';
  const grant = options.grant ?? ((subject, _repo, actions) => (subject ? actions : []));
  const requests: TokenServer['requests'] = [];

  const sign = (subject: string, access: { type: string; name: string; actions: string[] }[]): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', x5c: [cert.certDer.toString('base64')] };
    const claims = {
      iss: issuer,
      sub: subject,
      aud: service,
      exp: now + (options.expiresIn ?? 300),
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access,
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    return `${input}.${b64url(createSign('sha256').update(input).sign(cert.privateKey))}`;
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/token') {
      res.writeHead(404).end();
      return;
    }
    let subject = '';
    const auth = req.headers.authorization;
    if (auth?.startsWith('Basic ')) {
      const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const user = decoded.slice(0, colon);
      if (options.users[user] === undefined || options.users[user] !== decoded.slice(colon + 1)) {
        res.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ details: 'wrong username or password' }));
        return;
      }
      subject = user;
    }
    const scopes = url.searchParams
      .getAll('scope')
      .flatMap((s) => s.split(' '))
      .filter(Boolean);
    requests.push({ subject, scopes });
    const access = scopes.flatMap((scope) => {
      const [type, ...rest] = scope.split(':');
      const actions = (rest.pop() ?? '').split(',').filter(Boolean);
      const name = rest.join(':');
      if (type !== 'repository') return [];
      const granted = grant(subject, name, actions);
      return granted.length ? [{ type, name, actions: granted }] : [];
    });
    const token = sign(subject, access);
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token, access_token: token, expires_in: options.expiresIn ?? 300, issued_at: new Date().toISOString() }));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const realm = `http://127.0.0.1:${port}/token`;
  return {
    realm,
    service,
    issuer,
    requests,
    registryConfig: ['auth:', '  token:', `    realm: ${realm}`, `    service: ${service}`, `    issuer: ${issuer}`, `    rootcertbundle: ${bundle}`].join('\n'),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
