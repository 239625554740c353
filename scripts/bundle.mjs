// Builds one ncc bundle per action (src/actions/<name>/index.ts -> dist/<name>/index.js, and
// post-index.ts -> dist/<name>/post.js) and one for the CLI (dist/cli/index.js). Type checking is
// `npm run typecheck`'s job; ncc only transpiles here so bundles build reproducibly.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ncc = join('node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js');
const entries = [{ src: 'src/cli/index.ts', out: 'dist/cli/index.js' }];
for (const action of readdirSync('src/actions', { withFileTypes: true })) {
  if (!action.isDirectory()) continue;
  for (const [file, out] of [['index.ts', 'index.js'], ['post-index.ts', 'post.js']]) {
    const src = join('src/actions', action.name, file);
    if (existsSync(src)) entries.push({ src, out: join('dist', action.name, out) });
  }
}

rmSync('dist', { recursive: true, force: true });
for (const { src, out } of entries) {
  const tmp = mkdtempSync(join(tmpdir(), 'bi-ncc-'));
  execFileSync(process.execPath, [ncc, 'build', src, '-o', tmp, '--transpile-only', '--quiet', '--target', 'es2022'], { stdio: 'inherit' });
  const dir = out.slice(0, out.lastIndexOf('/'));
  mkdirSync(dir, { recursive: true });
  let code = readFileSync(join(tmp, 'index.js'), 'utf8');
  if (src === 'src/cli/index.ts' && !code.startsWith('#!')) code = `#!/usr/bin/env node\n${code}`;
  writeFileSync(out, code);
  if (src === 'src/cli/index.ts') chmodSync(out, 0o755);
  // Lazily loaded chunks (e.g. the Kubernetes client) sit beside the entry; main and post of
  // one action share a folder, so a chunk name they both emit must have the same content.
  for (const extra of readdirSync(tmp)) {
    if (extra === 'index.js') continue;
    const target = join(dir, extra);
    if (existsSync(target) && !readFileSync(target).equals(readFileSync(join(tmp, extra)))) {
      throw new Error(`${src}: chunk ${extra} differs from the one already in ${dir}`);
    }
    copyFileSync(join(tmp, extra), target);
  }
  rmSync(tmp, { recursive: true, force: true });
  console.log(`${src} -> ${out}`);
}
