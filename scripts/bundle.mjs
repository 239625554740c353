// Bundles every action (src/actions/<name>/index.ts -> dist/<name>/index.js, post-index.ts ->
// dist/<name>/post.js) and the CLI (dist/cli/index.js) with esbuild in one pass: ESM with code
// splitting, so what a run does not reach (the Kubernetes client, a CLI command it did not name)
// sits in dist/chunks/ and is loaded by a dynamic import only when needed. Type checking is
// `npm run typecheck`'s job. Same sources -> same bytes: no timestamps, content-hashed chunks.
// Also writes dist/SOURCES, the hash of the inputs, which the test setup compares (sourcesHash).
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');

/** Every file whose content decides the bundles, in a stable order. */
function inputs() {
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|mjs|js|json)$/.test(entry.name) && !/\.test\.ts$/.test(entry.name)) files.push(path);
    }
  };
  walk(join(root, 'src'));
  files.push(join(root, 'package-lock.json'), join(root, 'scripts', 'bundle.mjs'));
  return files;
}

/** sha256 over the bundle's inputs (src/ without tests, package-lock.json, this script). */
export function sourcesHash() {
  const hash = createHash('sha256');
  for (const file of inputs()) hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex');
}

/** Entry name (path under dist/ without .js) -> source file; new actions and commands are picked up. */
export function entryPoints() {
  const entries = { 'cli/index': join(root, 'src/cli/index.ts') };
  for (const action of readdirSync(join(root, 'src/actions'), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (!action.isDirectory()) continue;
    for (const [file, out] of [['index.ts', 'index'], ['post-index.ts', 'post']]) {
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
  writeFileSync(join(root, 'dist', 'SOURCES'), `${sourcesHash()}\n`);
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
