import { startRegistry } from './registry.js';
import { pushBusyboxImage } from './buildah.js';
import { execFileSync } from 'node:child_process';

test('a busybox image built with buildah lands in the real registry', async () => {
  const registry = await startRegistry();
  try {
    const digest = await pushBusyboxImage(`${registry.host}/base/busybox:test`);
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const out = execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${registry.host}/base/busybox:test`]).toString();
    expect(JSON.parse(out).Digest).toBe(digest);
  } finally {
    await registry.stop();
  }
}, 120000);
