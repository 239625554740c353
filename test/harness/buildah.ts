// Real images for tests, made with Debian's buildah (vfs storage, chroot isolation, as root).
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const BUILDAH_GLOBAL = ['--storage-driver', 'vfs'];

export async function buildah(args: string[], options: { cwd?: string } = {}): Promise<string> {
  const { stdout } = await run('buildah', [...BUILDAH_GLOBAL, ...args], {
    cwd: options.cwd,
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout.trim();
}

/**
 * Pushes a busybox image (Debian's busybox-static, with applet links, /tmp and /etc/passwd)
 * to `ref` (host:port/repo:tag) on an insecure test registry and returns the manifest digest.
 */
export async function pushBusyboxImage(ref: string, options: { user?: string } = {}): Promise<string> {
  const container = await buildah(['from', 'scratch']);
  try {
    await buildah(['copy', container, '/bin/busybox', '/bin/busybox']);
    await buildah(['run', '--isolation', 'chroot', container, '--', '/bin/busybox', '--install', '-s', '/bin']);
    await buildah([
      'run',
      '--isolation',
      'chroot',
      container,
      '--',
      '/bin/sh',
      '-c',
      'mkdir -p /tmp /etc /root /home/coder && chmod 1777 /tmp && ' + 'printf "root:x:0:0:root:/root:/bin/sh\\ncoder:x:1000:1000:coder:/home/coder:/bin/sh\\n" > /etc/passwd && ' + 'printf "root:x:0:\\ncoder:x:1000:\\n" > /etc/group',
    ]);
    await buildah(['config', '--cmd', '/bin/sh', '--env', 'PATH=/bin', ...(options.user ? ['--user', options.user] : []), container]);
    const image = await buildah(['commit', '--format', 'docker', container]);
    const digestFile = `/tmp/bi-digest-${process.pid}-${Date.now()}`;
    await buildah(['push', '--tls-verify=false', '--digestfile', digestFile, image, `docker://${ref}`]);
    const digest = readFileSync(digestFile, 'utf8').trim();
    rmSync(digestFile, { force: true });
    await buildah(['rmi', image]).catch(() => undefined);
    return digest;
  } finally {
    await buildah(['rm', container]).catch(() => undefined);
  }
}

/** A loopback registry holding busybox as `library/busybox:1.36`, the examples' upstream base. */
export async function registryWithBusybox(): Promise<{ registry: import('./registry.js').TestRegistry; busybox: string }> {
  const { startRegistry } = await import('./registry.js');
  const registry = await startRegistry();
  const busybox = `${registry.host}/library/busybox:1.36`;
  await pushBusyboxImage(busybox);
  return { registry, busybox };
}

/**
 * Points this process's buildah (and its children's) at a private vfs storage inside `dir`, as
 * the test run's global setup does: a script never touches the machine's own images.
 */
export function usePrivateStorage(dir: string): void {
  const conf = join(dir, 'storage.conf');
  writeFileSync(conf, `[storage]\ndriver = "vfs"\ngraphroot = "${join(dir, 'storage')}"\nrunroot = "${join(dir, 'storage-run')}"\n`);
  process.env.CONTAINERS_STORAGE_CONF = conf;
}
