// Before any test: one private folder for the whole run, removed by global-teardown.mjs.
// TMPDIR points into it, so every temporary file a test or a subprocess makes lands there,
// and every buildah the tests start (the harness, the Kubernetes simulator's kubelet, the
// builders under test) uses a containers-storage inside it: a run never touches the
// machine's own images and leaves nothing behind. Workers inherit the environment.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function globalSetup() {
  const dir = mkdtempSync(join(tmpdir(), 'bi-test-run-'));
  const conf = join(dir, 'storage.conf');
  writeFileSync(conf, `[storage]\ndriver = "vfs"\ngraphroot = "${join(dir, 'storage')}"\nrunroot = "${join(dir, 'storage-run')}"\n`);
  mkdirSync(join(dir, 'tmp'));
  process.env.CONTAINERS_STORAGE_CONF = conf;
  process.env.TMPDIR = join(dir, 'tmp');
  process.env.BUILD_IMAGE_TEST_RUN = dir;
}
