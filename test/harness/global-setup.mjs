// Before any test: one private folder for the whole run, removed by global-teardown.mjs.
// TMPDIR points into it, so every temporary file a test or a subprocess makes lands there,
// and every buildah the tests start (the harness, the Kubernetes simulator's kubelet, the
// builders under test) uses a containers-storage inside it: a run never touches the
// machine's own images and leaves nothing behind. Workers inherit the environment.
//
// Tests that run the action bundles and the CLI (test/actions, test/registry/actions, test/cli)
// must test the current sources, not a dist/ left from an older checkout: when the hash of the
// bundle's inputs no longer matches dist/SOURCES, dist/ is rebuilt first (esbuild, seconds).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundle, bundleIsCurrent } from '../../scripts/bundle.mjs';

async function freshBundles() {
  if (bundleIsCurrent()) return;
  const started = Date.now();
  await bundle();
  process.stderr.write(`\nglobal setup: dist/ was built from other sources; rebuilt it in ${Date.now() - started} ms\n`);
}

export default async function globalSetup() {
  await freshBundles();
  const dir = mkdtempSync(join(tmpdir(), 'bi-test-run-'));
  const conf = join(dir, 'storage.conf');
  writeFileSync(conf, `[storage]\ndriver = "vfs"\ngraphroot = "${join(dir, 'storage')}"\nrunroot = "${join(dir, 'storage-run')}"\n`);
  mkdirSync(join(dir, 'tmp'));
  process.env.CONTAINERS_STORAGE_CONF = conf;
  process.env.TMPDIR = join(dir, 'tmp');
  process.env.BUILD_IMAGE_TEST_RUN = dir;
}
