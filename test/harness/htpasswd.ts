// An htpasswd file (bcrypt, as the distribution registry requires) and the registry config
// section that uses it.
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';

export interface HtpasswdAuth {
  path: string;
  /** The `auth:` section to pass to startRegistry({extraConfig}). */
  registryConfig: string;
}

export function writeHtpasswd(users: Record<string, string>, realm = 'build-image-test'): HtpasswdAuth {
  const dir = mkdtempSync(join(tmpdir(), 'bi-htpasswd-'));
  const path = join(dir, 'htpasswd');
  const lines = Object.entries(users).map(([user, password]) => `${user}:${bcrypt.hashSync(password, 4)}`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return { path, registryConfig: ['auth:', '  htpasswd:', `    realm: ${realm}`, `    path: ${path}`].join('\n') };
}
