// Bundles every action (src/actions/<name>/index.ts -> dist/<name>/index.js, post-index.ts ->
// dist/<name>/post.js), the CLI's dispatcher (dist/cli/index.js) and its commands
// (dist/cli/commands/<name>.js) with esbuild: one CommonJS file per entry, plus dist/vendor/ for
// third-party packages loaded at first use. Type checking is `npm run typecheck`'s job. Same
// sources -> same bytes.
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
  for (const file of readdirSync(join(root, 'src/cli/commands')).sort()) {
    if (/^[a-z-]+\.ts$/.test(file) && file !== 'index.ts') entries[`cli/commands/${file.slice(0, -3)}`] = join(root, 'src/cli/commands', file);
  }
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

// @actions/core imports its OIDC client (-> @actions/http-client -> undici), its platform
// helpers (-> @actions/exec) and its job summary (which loads node:fs/promises as it loads) at
// the top of core.js. No action asks for an ID token, and summaries are written by
// src/github/summary.ts, so these modules are marked side-effect free: esbuild then drops them,
// and the whole HTTP stack with them, while @actions/core stays the library. A bundle that
// calls getIDToken or core.summary still gets them.
// The filter runs in esbuild's Go side, so only these imports cost a call into JavaScript.
const unusedCoreParts = {
  name: 'actions-core-unused-parts',
  setup(build) {
    build.onResolve({ filter: /^\.\/(oidc-utils|platform|summary)\.js$/ }, async (args) => {
      if (!/[\\/]node_modules[\\/]@actions[\\/]core[\\/]/.test(args.importer) || args.pluginData?.again) return undefined;
      const resolved = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: { again: true } });
      return resolved.errors.length > 0 ? undefined : { path: resolved.path, sideEffects: false };
    });
  },
};

// A stand-in module: the named exports of `target` as functions that require it at their first
// call (`standIn` maps each export to null for a function, or to the static methods of an
// object), plus `extra` code. A run that never calls one never loads the module behind it.
// Importing a name the stand-in lacks fails the bundle (esbuild warns, and warnings fail it).
function standInModule(target, standIn, extra = '') {
  const lines = ['let loaded;', `const load = () => (loaded ??= require(${JSON.stringify(target)}));`];
  for (const [name, methods] of Object.entries(standIn)) {
    if (methods === null) lines.push(`export function ${name}(...args) { return load().${name}(...args); }`);
    else lines.push(`export const ${name} = { ${methods.map((m) => `${m}: (...args) => load().${name}.${m}(...args)`).join(', ')} };`);
  }
  return `${lines.join('\n')}\n${extra}`;
}

/** `^(a|b)$` for the names of a package map. */
function anyOf(names) {
  return new RegExp(`^(${names.map((n) => n.replace(/[/.]/g, '\\$&')).join('|')})$`);
}

// Third-party packages that most runs never call go into bundles of their own in dist/vendor/,
// required the first time a run needs them: a run that does not use one neither compiles nor
// initialises it. They hold third-party code only, so one copy of each class exists however
// many bundles require them.
// - The Kubernetes client is imported only by modules that are themselves loaded when a kaniko
//   build, smoke pod or deploy is about to happen: those require it directly.
// - dockerfile-ast (140 KB with vscode-languageserver-types, about 15 ms to compile and set up)
//   is needed only for Dockerfiles the line scan in dockerfile/analyze.ts leaves to it
//   (heredocs, directives, continued FROM/ARG lines) and for pinning a build's parents;
//   tar-stream only to pack a build context or read an image's layers. Their importers are
//   always loaded, so they are imported through a stand-in.
const VENDORED = {
  '@kubernetes/client-node': { file: 'kubernetes-client-node' },
  'dockerfile-ast': { file: 'dockerfile-ast', standIn: { DockerfileParser: ['parse'] } },
  'tar-stream': { file: 'tar-stream', standIn: { extract: null, pack: null } },
};

// node:crypto takes about 10 ms to load (it loads every algorithm's module), and most runs
// use it for one thing: the random delimiter @actions/core puts around each step output. So
// it is imported through a stand-in too, whose randomUUID() reads its 16 random bytes from
// /dev/urandom (the kernel's generator, which OpenSSL seeds from too).
const LAZY_CRYPTO = Object.fromEntries(
  ['createCipheriv', 'createDecipheriv', 'createHash', 'createHmac', 'createPrivateKey', 'createPublicKey', 'diffieHellman', 'generateKeyPairSync', 'hkdfSync', 'randomBytes', 'timingSafeEqual'].map((name) => [name, null]),
);
const RANDOM_UUID = `import { closeSync, openSync, readSync } from 'node:fs';
export function randomUUID() {
  if (loaded) return loaded.randomUUID(); // node:crypto is there already (a digest was taken)
  let bytes;
  try {
    const fd = openSync('/dev/urandom', 'r');
    try {
      bytes = Buffer.alloc(16);
      if (readSync(fd, bytes, 0, 16, null) !== 16) bytes = undefined;
    } finally {
      closeSync(fd);
    }
  } catch {
    bytes = undefined;
  }
  if (!bytes) return load().randomUUID();
  bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
  bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
  const hex = bytes.toString('hex');
  return \`\${hex.slice(0, 8)}-\${hex.slice(8, 12)}-\${hex.slice(12, 16)}-\${hex.slice(16, 20)}-\${hex.slice(20)}\`;
}
`;

/**
 * Our imports of VENDORED packages and node:crypto, for a bundle `depth` folders below dist/:
 * a require of dist/vendor/, or a stand-in. What a stand-in itself requires stays external.
 */
function lazyImports(depth) {
  const vendorPath = (pkg) => `${'../'.repeat(depth)}vendor/${VENDORED[pkg].file}.js`;
  return {
    name: 'lazy-imports',
    setup(build) {
      build.onResolve({ filter: /./, namespace: 'stand-in' }, (args) => ({ path: args.path, external: true }));
      build.onResolve({ filter: anyOf(Object.keys(VENDORED)) }, ({ path }) => (VENDORED[path].standIn ? { path, namespace: 'stand-in' } : { path: vendorPath(path), external: true }));
      build.onResolve({ filter: /^(node:)?crypto$/ }, () => ({ path: 'node:crypto', namespace: 'stand-in' }));
      build.onLoad({ filter: /.*/, namespace: 'stand-in' }, ({ path }) => ({
        contents: path === 'node:crypto' ? standInModule('node:crypto', LAZY_CRYPTO, RANDOM_UUID) : standInModule(vendorPath(path), VENDORED[path].standIn),
        loader: 'js',
      }));
    },
  };
}

// The CLI's dispatcher (dist/cli/index.js) requires the bundle of the one command it runs
// (dist/cli/commands/<name>.js): `build-image validate` never reads the build pipeline's code.
const COMMAND_INDEX = join(root, 'src/cli/commands/index.ts');
const cliCommands = {
  name: 'cli-commands',
  setup(build) {
    build.onResolve({ filter: /^\.\/[a-z-]+\.js$/ }, (args) => (args.importer === COMMAND_INDEX && args.kind === 'dynamic-import' ? { path: `./commands/${args.path.slice(2)}`, external: true } : undefined));
  },
};

// Which of a package's builds to bundle, where the default one costs time at every start:
// - yaml ships CommonJS for Node and the same code as ES modules for browsers (they differ only
//   in how a warning is printed); the ES build lets esbuild hoist it and drop what we never call.
// - vscode-languageserver-types resolves to its ES build, but its only importer (dockerfile-ast)
//   require()s it: the UMD build avoids an ES-to-CommonJS wrapper that copies every export
//   (about 5 ms).
const PREFERRED_BUILDS = {
  yaml: 'node_modules/yaml/browser/index.js',
  'vscode-languageserver-types': 'node_modules/vscode-languageserver-types/lib/umd/main.js',
};

const preferredBuilds = {
  name: 'preferred-builds',
  setup(build) {
    build.onResolve({ filter: anyOf(Object.keys(PREFERRED_BUILDS)) }, (args) => ({ path: join(root, PREFERRED_BUILDS[args.path]) }));
  },
};

// The entry of a vendor bundle: everything the package exports (`vendor:tar-stream`).
const vendorEntry = {
  name: 'vendor-entry',
  setup(build) {
    build.onResolve({ filter: /^vendor:/ }, (args) => ({ path: args.path.slice('vendor:'.length), namespace: 'vendor' }));
    build.onLoad({ filter: /.*/, namespace: 'vendor' }, (args) => ({
      contents: `export * from '${args.path}';\n`,
      resolveDir: root,
    }));
  },
};

// CommonJS, one file per entry, no shared chunks. Measured on Node 24 (bench/startup), this
// starts about 25 ms sooner than ESM with code splitting: no resolution and linking of a dozen
// chunks, and builtins load through require(), whose answer is read lazily, rather than an ES
// import, whose facade reads every export (node:http's getters load Node's internal undici,
// node:fs's its streams). Bundled ESM-only packages (@actions/core) work the same in CommonJS.
const COMMON = {
  absWorkingDir: root,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minifyWhitespace: true,
  minifySyntax: true,
  treeShaking: true,
  legalComments: 'none',
  logLevel: 'silent',
  metafile: true,
  // import() of another bundle becomes require(): no ES module loader for a CommonJS file.
  supported: { 'dynamic-import': false },
};

export async function bundle() {
  const { build } = await import('esbuild');
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  const vendorEntries = Object.fromEntries(Object.entries(VENDORED).map(([pkg, { file }]) => [`vendor/${file}`, `vendor:${pkg}`]));
  const results = await Promise.all([
    // Bundles one and two folders below dist/ (dist/plan/index.js, dist/cli/commands/env.js)
    // reach dist/vendor/ by different relative paths: one build for each depth.
    ...[1, 2].map((depth) =>
      build({
        ...COMMON,
        entryPoints: Object.fromEntries(Object.entries(entryPoints()).filter(([name]) => name.split('/').length === depth + 1)),
        outdir: 'dist',
        plugins: [unusedCoreParts, lazyImports(depth), cliCommands, preferredBuilds],
      }),
    ),
    build({ ...COMMON, minifyIdentifiers: true, entryPoints: vendorEntries, outdir: 'dist', plugins: [vendorEntry, preferredBuilds] }),
  ]);
  // A warning here is a bundle that would misbehave at run time (import.meta in CommonJS, say).
  const warnings = results.flatMap((r) => r.warnings);
  if (warnings.length > 0) throw new Error(`esbuild warned:\n${warnings.map((w) => `${w.location?.file ?? ''}:${w.location?.line ?? ''} ${w.text}`).join('\n')}`);
  const result = { metafile: { inputs: Object.assign({}, ...results.map((r) => r.metafile.inputs)), outputs: Object.assign({}, ...results.map((r) => r.metafile.outputs)) } };
  // The root package.json says "type": "module"; dist/package.json makes dist/*.js CommonJS.
  writeFileSync(join(root, 'dist', 'package.json'), '{\n  "type": "commonjs"\n}\n');
  chmodSync(join(root, 'dist', 'cli', 'index.js'), 0o755);
  const files = Object.keys(result.metafile.inputs)
    .filter((file) => !file.startsWith('node_modules/') && !/^[a-z-]+:/.test(file)) // not the generated stand-ins and vendor entries
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
        console.log(`${file.padEnd(32)} ${(out.bytes / 1024).toFixed(0).padStart(6)} KB`);
      }
      console.log(`dist/: ${Object.keys(result.metafile.outputs).length} files, ${(total / 1024 / 1024).toFixed(2)} MB, ${Date.now() - started} ms`);
    },
    (err) => {
      console.error(err.message ?? err);
      process.exitCode = 1;
    },
  );
}
