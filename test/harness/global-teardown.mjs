// After every test: remove the run's private folder made by global-setup.mjs.
import { rmSync } from 'node:fs';

export default function globalTeardown() {
  const dir = process.env.BUILD_IMAGE_TEST_RUN;
  if (dir && dir.includes('bi-test-run-')) rmSync(dir, { recursive: true, force: true });
}
