// actions/environment run for real, the way the runner calls it: the bundle with INPUT_*
// variables, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, against the real registry and the
// Kubernetes simulator. up -> outputs and a table per container in the summary, the decrypted
// value masked and never printed; status; down.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry, type TestRegistry } from '../harness/registry.js';
import { pushBusyboxImage } from '../harness/buildah.js';
import { startKubeSim, type KubeSim } from '../kube-sim/index.js';
import { runAction } from '../actions/run-action.js';
import { ageEntries, emitSopsFile, encryptTree, newDataKey, newMetadata } from '../../src/secrets/sops.js';
import { str } from '../../src/secrets/tree.js';
import { generateIdentity } from '../../src/systems/age/age.js';

const run = promisify(execFile);
const BUNDLE = join(process.cwd(), 'dist', 'environment', 'index.js');
const NS = 'ci';
const VALUE = 'masked-in-logs-0451';
let registry: TestRegistry;
let sim: KubeSim;
let repo: string;
let identity: string;

beforeAll(async () => {
  registry = await startRegistry();
  sim = await startKubeSim({ namespaces: [NS] });
  repo = mkdtempSync(join(tmpdir(), 'bi-env-action-'));
  for (const dir of ['.coder/environments', '.coder/images', '.coder/secrets', 'images/dev']) mkdirSync(join(repo, dir), { recursive: true });
  writeFileSync(join(repo, 'images', 'dev', 'Dockerfile'), 'FROM scratch\n');
  writeFileSync(join(repo, '.coder', 'images', 'dev.yaml'), 'name: dev\ntype: image\nspec:\n  context: ./images/dev\n  image: ghcr.io/acme/dev\n');
  writeFileSync(
    join(repo, '.coder', 'environments', 'web.yaml'),
    'name: web\ntype: environment\nspec:\n  - name: env\n    image: dev\n    command: [sh, -c, \'echo "token is set: ${#TOKEN} characters"; exec sleep 3600\']\n' +
      '    personalize: ["RUN echo hello > /tmp/hello"]\n    env:\n      - name: TOKEN\n        value: { fromSecret: { name: api, key: token } }\n',
  );
  const team = generateIdentity();
  identity = team.identity;
  const dataKey = newDataKey();
  const { tree, mac, lastmodified } = encryptTree({ plain: new Map([['token', str(VALUE)]]), dataKey });
  writeFileSync(join(repo, '.coder', 'secrets', 'api.yaml'), emitSopsFile(tree, { raw: newMetadata(), age: ageEntries(dataKey, [team.recipient]), lastmodified, mac }));
  await pushBusyboxImage(`${registry.host}/acme/dev:latest`, { user: '1000' });
}, 180000);

afterAll(async () => {
  await sim?.stop();
  await registry?.stop();
  if (repo) rmSync(repo, { recursive: true, force: true });
});

test('up, status and down through the action bundle', async () => {
  const inputs = { environment: 'web', registry: registry.host, 'insecure-registries': registry.host, namespace: NS, 'age-identity': identity, 'delete-volumes': 'false', timeout: '120' };
  const env = { KUBECONFIG: sim.kubeconfigPath };
  const up = await runAction(BUNDLE, { ...inputs, operation: 'up' }, { cwd: repo, env, timeoutMs: 200000 });
  if (up.code !== 0) throw new Error(up.stdout + up.stderr);
  expect(up.stdout).toContain(`::add-mask::${VALUE}`);
  expect(up.stdout.replace(`::add-mask::${VALUE}`, '')).not.toContain(VALUE);
  expect(up.summary).not.toContain(VALUE);
  expect(up.outputs).toMatchObject({ status: 'ready', image: expect.stringMatching(new RegExp(`^${registry.host}/acme/env-web:build-[0-9a-f]{20}$`)), digest: expect.stringMatching(/^sha256:/) });
  expect(up.outputs['build-id']).toMatch(/^[0-9a-f]{64}$/);
  expect(up.summary).toContain('### ✅ Environment web (ci)');
  expect(up.summary).toMatch(/\| web-\S+ \| env \| running \| yes \| 0 \| - \|/);

  const status = await runAction(BUNDLE, { ...inputs, operation: 'status' }, { cwd: repo, env });
  expect(status.code).toBe(0);
  expect(status.outputs.status).toBe('ready');

  const down = await runAction(BUNDLE, { ...inputs, operation: 'down' }, { cwd: repo, env });
  expect(down.code).toBe(0);
  expect(down.outputs.status).toBe('absent');
  expect(down.stdout).toContain(`web: deployment ${NS}/web deleted`);

  // `ref`: the templates of this repository at a branch, fetched from the run's server (a bare repository here).
  const server = mkdtempSync(join(tmpdir(), 'bi-env-action-git-'));
  try {
    const git = (cwd: string, ...a: string[]) => run('git', ['-C', cwd, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...a]);
    await git(repo, 'init', '-q', '-b', 'main');
    await git(repo, 'add', '-A');
    await git(repo, 'commit', '-qm', 'templates');
    mkdirSync(join(server, 'acme'));
    await run('git', ['clone', '-q', '--bare', repo, join(server, 'acme', 'templates.git')]);
    const fetched = await runAction(
      BUNDLE,
      { ...inputs, operation: 'status', ref: 'main' },
      {
        cwd: tmpdir(),
        env: { ...env, GITHUB_REPOSITORY: 'acme/templates', GITHUB_SERVER_URL: `file://${server}` },
      },
    );
    if (fetched.code !== 0) throw new Error(fetched.stdout + fetched.stderr);
    expect(fetched.stdout).toContain(`fetching acme/templates at main from file://${server}`);
    expect(fetched.outputs.status).toBe('absent');
  } finally {
    rmSync(server, { recursive: true, force: true });
  }

  const bad = await runAction(BUNDLE, { ...inputs, operation: 'restart' }, { cwd: repo, env });
  expect(bad.code).toBe(1);
  expect(bad.stdout).toContain("::error::input 'operation' must be one of build, up, status, down, not 'restart'");
}, 300000);
