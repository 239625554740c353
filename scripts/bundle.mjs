// Bundles every action (src/actions/<name>/index.ts -> dist/<name>/index.js, post-index.ts ->
// dist/<name>/post.js) and the CLI (dist/cli/index.js) with esbuild in one pass: ESM with code
// splitting, so what a run does not reach (the Kubernetes client, a CLI command it did not name)
// sits in dist/chunks/ and is loaded by a dynamic import only when needed. Type checking is
// `npm run typecheck`'s job. Same sources -> same bytes: no timestamps, content-hashed chunks.
// Also writes dist/SOURCES: a hash of the inputs and their list, which the test setup checks
// (bundleIsCurrent) so tests never run a dist/ built from other sources.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');

/**
 * sha256 over the files a bundle was made from: the repository's own (src/, schemas/, ...
 * as esbuild's metafile lists them), package-lock.json for everything in node_modules, and
 * this script. Paths are relative to the repository root.
 */
function hashOf(files) {
  const hash = createHash('sha256');
  for (const file of [...files, 'package-lock.json', 'scripts/bundle.mjs']) {
    hash.update(file).update('\0');
    hash.update(existsSync(join(root, file)) ? readFileSync(join(root, file)) : 'missing').update('\0');
  }
  return hash.digest('hex');
}

/**
 * True when dist/SOURCES (written by bundle()) still matches the files it lists: a changed,
 * added import or removed file changes one of them. The test setup uses this.
 */
export function bundleIsCurrent() {
  const record = join(root, 'dist', 'SOURCES');
  if (!existsSync(record)) return false;
  const [hash, ...files] = readFileSync(record, 'utf8').split('\n').filter(Boolean);
  return files.length > 0 && hash === hashOf(files);
}

/** Entry name (path under dist/ without .js) -> source file; new actions and commands are picked up. */
export function entryPoints() {
  const entries = { 'cli/index': join(root, 'src/cli/index.ts') };
  for (const action of readdirSync(join(root, 'src/actions'), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (!action.isDirectory()) continue;
    for (const [file, out] of [
      ['index.ts', 'index'],
      ['post-index.ts', 'post'],
    ]) {
      const src = join(root, 'src/actions', action.name, file);
      if (existsSync(src)) entries[`${action.name}/${out}`] = src;
    }
  }
  return entries;
}

// @actions/core imports its OIDC client (-> @actions/http-client -> undici) and its platform
// helpers (-> @actions/exec) at the top of core.js. No action asks for an ID token, so these two
// modules are marked side-effect free: esbuild then drops them, and the whole HTTP stack with
// them, while @actions/core stays the library. A bundle that calls getIDToken still gets them.
// The filter runs in esbuild's Go side, so only these imports cost a call into JavaScript.
const unusedCoreParts = {
  name: 'actions-core-unused-parts',
  setup(build) {
    build.onResolve({ filter: /^\.\/(oidc-utils|platform)\.js$/ }, async (args) => {
      if (!/[\\/]node_modules[\\/]@actions[\\/]core[\\/]/.test(args.importer) || args.pluginData?.again) return undefined;
      const resolved = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: { again: true } });
      return resolved.errors.length > 0 ? undefined : { path: resolved.path, sideEffects: false };
    });
  },
};

export async function bundle() {
  const { build } = await import('esbuild');
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: entryPoints(),
    outdir: 'dist',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    chunkNames: 'chunks/[name]-[hash]',
    minifyWhitespace: true,
    minifySyntax: true,
    treeShaking: true,
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
    // Bundled CommonJS packages (ws, the Kubernetes client's helpers) call require(): give ESM one.
    banner: { js: "import{createRequire as __biRequire}from'node:module';const require=__biRequire(import.meta.url);" },
    plugins: [unusedCoreParts],
  });
  // The root package.json says "type": "module"; dist/ says so too, for a copy of dist/ alone.
  writeFileSync(join(root, 'dist', 'package.json'), '{\n  "type": "module"\n}\n');
  chmodSync(join(root, 'dist', 'cli', 'index.js'), 0o755);
  const files = Object.keys(result.metafile.inputs)
    .filter((file) => !file.startsWith('node_modules/'))
    .sort();
  writeFileSync(join(root, 'dist', 'SOURCES'), `${hashOf(files)}\n${files.join('\n')}\n`);
  return result;
}

// No top-level await: the jest global setup loads this file, and jest may require() it.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  bundle().then(
    (result) => {
      let total = 0;
      for (const [file, out] of Object.entries(result.metafile.outputs)) {
        total += out.bytes;
        if (!file.includes('/chunks/')) console.log(`${file.padEnd(32)} ${(out.bytes / 1024).toFixed(0).padStart(6)} KB`);
      }
      console.log(`dist/: ${Object.keys(result.metafile.outputs).length} files, ${(total / 1024 / 1024).toFixed(2)} MB, ${Date.now() - started} ms`);
    },
    (err) => {
      console.error(err.message ?? err);
      process.exitCode = 1;
    },
  );
}
