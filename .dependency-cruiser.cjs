// The architecture, checked on every `npm test` (see src/README.md): imports only go down the
// layers, no cycles, tests stay out of the product, and each outside system is reached through
// its one module under src/systems.
const layers = [
  ['entry points', '^src/(actions|cli)/'],
  ['github', '^src/github/'],
  ['features', '^src/(pipeline|promote|images|environments|nightly)/'],
  ['core', '^src/(templates|dockerfile|graph|plan|context|builders|secrets)/'],
  ['systems', '^src/systems/'],
  ['lib', '^src/lib/'],
];

const upward = [];
for (let i = 1; i < layers.length; i++) {
  for (let j = 0; j < i; j++) {
    upward.push({
      name: `no-${layers[i][0].replace(/ /g, '-')}-to-${layers[j][0].replace(/ /g, '-')}`,
      comment: `${layers[i][0]} must not import ${layers[j][0]}: imports only go down the layers`,
      severity: 'error',
      from: { path: layers[i][1], pathNot: '\\.test\\.ts$' }, // a test may check that two layers agree
      to: { path: layers[j][1] },
    });
  }
}

/**
 * Outside-system packages and the folder that alone may use them (type-only imports are free).
 * node:child_process and node:http(s) are loaded at first use, which ESLint checks (eslint.config.js).
 */
const seams = [
  ['@kubernetes/client-node', '^src/systems/kube/'],
  ['ws', '^src/systems/kube/'],
];

module.exports = {
  forbidden: [
    ...upward,
    { name: 'no-cycles', severity: 'error', from: {}, to: { circular: true } },
    { name: 'no-test-code-in-src', severity: 'error', from: { path: '^src/', pathNot: '\\.test\\.ts$' }, to: { path: '(^test/|\\.test\\.ts$)' } },
    { name: 'not-to-unresolvable', severity: 'error', from: {}, to: { couldNotResolve: true } },
    ...seams.map(([pkg, home]) => ({
      name: `only-${home.replace(/[^a-z]+/g, '-').replace(/^-|-$/g, '')}-uses-${pkg.replace(/[^a-z]+/g, '-').replace(/^-|-$/g, '')}`,
      comment: `${pkg} is an outside system: reach it through ${home.replace(/[\\^]/g, '')}`,
      severity: 'error',
      from: { path: '^src/', pathNot: [home, '\\.test\\.ts$'] },
      to: { path: `(^|/)node_modules/${pkg}/|^${pkg}$`, dependencyTypesNot: ['type-only'] },
    })),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js', '.mjs', '.json'] },
    exclude: { path: '^dist/' },
  },
};
