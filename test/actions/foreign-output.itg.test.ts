// Output an image produces (here its smoke test's) must never act as a workflow command: the
// smoke-test action, run from source the way the runner runs it against a real image in a
// real registry with buildah, prints it between ::stop-commands:: and a resume token.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAction } from './run-action.js';
import { startRegistry, type TestRegistry } from '../harness/registry.js';
import { pushBusyboxImage } from '../harness/buildah.js';

let registry: TestRegistry;
let dir: string;

beforeAll(async () => {
  registry = await startRegistry();
  await pushBusyboxImage(`${registry.host}/acme/probe:test`);
  dir = mkdtempSync(join(tmpdir(), 'bi-foreign-'));
  mkdirSync(join(dir, '.coder/images'), { recursive: true });
  mkdirSync(join(dir, 'images/probe'), { recursive: true });
  writeFileSync(join(dir, 'images/probe/Dockerfile'), 'FROM busybox\n');
  writeFileSync(
    join(dir, '.coder/images/probe.yaml'),
    [
      'name: probe',
      'type: image',
      'spec:',
      '  context: images/probe',
      `  image: ${registry.host}/acme/probe`,
      '  smoke:',
      `    - name: hostile`,
      `      run: 'echo "::error title=pwned::from the image"; echo "::add-mask::build"; echo "::stop-commands::guess"; echo "::guess::"; echo "::warning::still text"'`,
      '',
    ].join('\n'),
  );
}, 180000);
afterAll(async () => {
  await registry?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The lines the runner would execute as commands: those outside every stop-commands window. */
function executedCommands(stdout: string): string[] {
  const executed: string[] = [];
  let token: string | undefined;
  for (const line of stdout.split('\n')) {
    if (token !== undefined) {
      if (line === `::${token}::`) token = undefined;
      continue;
    }
    const stop = /^::stop-commands::(.+)$/.exec(line);
    if (stop) token = stop[1];
    else if (line.startsWith('::')) executed.push(line);
  }
  return executed;
}

test('smoke-test output is printed with workflow commands stopped', async () => {
  const run = await runAction(
    join(process.cwd(), 'src/actions/smoke-test/index.ts'),
    { templates: '.', builder: 'buildah', 'insecure-registries': registry.host },
    { cwd: dir, env: { NODE_OPTIONS: `--import ${join(process.cwd(), 'node_modules/tsx/dist/esm/index.mjs')}` }, timeoutMs: 170000 },
  );
  expect(run.outputs.passed).toBe('true');
  expect(run.stdout).toContain('::error title=pwned::from the image'); // printed, as text
  const executed = executedCommands(run.stdout);
  expect(executed.filter((l) => /pwned|add-mask::build|::warning::still text|::guess::/.test(l))).toEqual([]);
  // our own commands still work around the foreign text
  expect(executed).toEqual(expect.arrayContaining(['::group::probe: smoke tests', '::endgroup::']));
}, 180000);
