// Starts the real CNCF distribution registry (Debian `docker-registry`) on a loopback port.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './ports.js';

export interface RegistryOptions {
  /** Extra top-level config YAML appended verbatim (e.g. an `auth:` section). */
  extraConfig?: string;
  /** Reuse a storage directory (to restart a registry with the same content). */
  storageDir?: string;
  port?: number;
  /** Serve HTTPS with a fresh self-signed certificate (clients must skip verification). */
  tls?: boolean;
}

export interface TestRegistry {
  /** host:port, e.g. 127.0.0.1:40123 */
  host: string;
  port: number;
  url: string;
  storageDir: string;
  stop(): Promise<void>;
  /** Stops and starts the same registry on the same port and storage. */
  restart(): Promise<void>;
}

export async function startRegistry(options: RegistryOptions = {}): Promise<TestRegistry> {
  const port = options.port ?? (await freePort());
  const workDir = mkdtempSync(join(tmpdir(), 'bi-registry-'));
  const storageDir = options.storageDir ?? join(workDir, 'storage');
  const configPath = join(workDir, 'config.yml');
  const tlsConfig: string[] = [];
  if (options.tls) {
    const { selfSignedCertificate } = await import('./token-server-cert.js');
    const cert = selfSignedCertificate('127.0.0.1');
    writeFileSync(join(workDir, 'tls.crt'), cert.certPem);
    writeFileSync(join(workDir, 'tls.key'), cert.keyPem);
    tlsConfig.push('  tls:', `    certificate: ${join(workDir, 'tls.crt')}`, `    key: ${join(workDir, 'tls.key')}`);
  }
  writeFileSync(
    configPath,
    [
      'version: 0.1',
      'log:',
      '  level: error',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${storageDir}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '  secret: build-image-test',
      ...tlsConfig,
      options.extraConfig ?? '',
    ].join('\n'),
  );
  const host = `127.0.0.1:${port}`;
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    child = spawn('docker-registry', ['serve', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    const exited = new Promise<never>((_, reject) => child!.once('exit', (code) => reject(new Error(`docker-registry exited with ${code}: ${stderr}`))));
    exited.catch(() => undefined);
    await Promise.race([
      waitFor(
        async () => {
          if (options.tls) return await probeTls(host);
          const res = await fetch(`http://${host}/v2/`);
          return res.status === 200 || res.status === 401;
        },
        15000,
        `registry on ${host}`,
      ),
      exited,
    ]);
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
      setTimeout(() => proc.kill('SIGKILL'), 3000).unref();
    });
  };

  await start();
  return {
    host,
    port,
    url: `${options.tls ? 'https' : 'http'}://${host}`,
    storageDir,
    restart: async () => {
      await stop();
      await start();
    },
    stop: async () => {
      await stop();
      if (!options.storageDir) rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/** True when an HTTPS server answers on host (certificate not checked). */
async function probeTls(host: string): Promise<boolean> {
  const { request } = await import('node:https');
  return new Promise((resolve) => {
    const req = request(`https://${host}/v2/`, { rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}
