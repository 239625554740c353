// The promote, push-archive and check-image action entry points run the way the runner runs
// them: INPUT_* variables, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files (through tsx, since
// dist/ is built by the lead's bundler).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RegistryClient } from '../../src/systems/registry/client.js';
import { startRegistry, type TestRegistry } from '../harness/registry.js';
import { writeHtpasswd } from '../harness/htpasswd.js';
import { pushTestImage } from './images.js';

const exec = promisify(execFile);
let registry: TestRegistry;
let client: RegistryClient;
const PASSWORD = 'pw-that-must-be-masked';

beforeAll(async () => {
  registry = await startRegistry({ extraConfig: writeHtpasswd({ ci: PASSWORD }).registryConfig });
  client = new RegistryClient({ insecure: [registry.host], credentials: () => ({ registry: registry.host, username: 'ci', password: PASSWORD }) });
});
afterAll(() => registry.stop());

/** Runs src/actions/<name>/index.ts with inputs; returns exit code, stdout, outputs and summary. */
async function runAction(name: string, inputs: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), `bi-action-${name}-`));
  const output = join(dir, 'output');
  const summary = join(dir, 'summary');
  writeFileSync(output, '');
  writeFileSync(summary, '');
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: summary, GITHUB_WORKSPACE: dir, DOCKER_CONFIG: dir };
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  const result = await exec(join(process.cwd(), 'node_modules/.bin/tsx'), [join(process.cwd(), `src/actions/${name}/index.ts`)], { env, cwd: dir }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
  const outputs: Record<string, string> = {};
  const text = readFileSync(output, 'utf8');
  for (const m of text.matchAll(/^(.+?)<<(.+)\n([\s\S]*?)\n\2$/gm)) outputs[m[1]!] = m[3]!;
  return { ...result, outputs, summary: readFileSync(summary, 'utf8'), dir };
}

const credentials = () => `local:\n  registry: ${registry.host}\n  username: ci\n  password: ${PASSWORD}\n`;

test('promote: moves latest, writes outputs and a summary, masks the password', async () => {
  const repo = { registry: registry.host, repository: 'act/app' };
  const tested = await pushTestImage(client, repo, 'test', [[{ name: 'a', content: '1' }]]);
  const old = await pushTestImage(client, repo, 'latest', [[{ name: 'a', content: '0' }]]);
  const run = await runAction('promote', {
    images: `${registry.host}/act/app`,
    from: 'test',
    digest: tested.digest,
    to: 'latest',
    credentials: credentials(),
    'insecure-registries': registry.host,
  });
  expect(run.code).toBe(0);
  expect(run.stdout).toContain(`::add-mask::${PASSWORD}`);
  expect(run.stdout.replace(`::add-mask::${PASSWORD}`, '')).not.toContain(PASSWORD);
  expect(JSON.parse(run.outputs['previous-digests']!)).toEqual({ [`${registry.host}/act/app:latest`]: old.digest });
  expect(run.outputs.rollback).toBe(`build-image promote ${registry.host}/act/app@${old.digest} --to latest --insecure`);
  expect(run.summary).toContain(`| \`${registry.host}/act/app:latest\` | \`${old.digest}\` | \`${tested.digest}\` | moved |`);
  expect((await client.headManifest(repo, 'latest'))?.digest).toBe(tested.digest);
}, 60000);

test('promote: a moved test tag fails the step with one clear line', async () => {
  const run = await runAction('promote', {
    images: `${registry.host}/act/app`,
    from: 'test',
    digest: `sha256:${'1'.repeat(64)}`,
    to: 'latest',
    credentials: credentials(),
    'insecure-registries': registry.host,
  });
  expect(run.code).toBe(1);
  expect(run.stdout).toMatch(/::error::nothing promoted: .*act\/app:test now points at .*refusing to promote/);
}, 60000);

test('push-archive and check-image: an OCI layout pushed, then checked (and failing the minimums)', async () => {
  const repo = { registry: registry.host, repository: 'act/src' };
  await pushTestImage(
    client,
    repo,
    'v1',
    [
      [
        { name: 'bin/busybox', content: 'x', mode: 0o755 },
        { name: 'bin/sh', type: 'symlink', target: 'busybox' },
      ],
    ],
    { User: '1000' },
  );
  const dir = mkdtempSync(join(tmpdir(), 'bi-act-layout-'));
  await exec('skopeo', ['copy', '--src-tls-verify=false', '--src-creds', `ci:${PASSWORD}`, `docker://${registry.host}/act/src:v1`, `oci:${dir}/layout:v1`]);
  const pushed = await runAction('push-archive', { archive: join(dir, 'layout'), image: `${registry.host}/act/pushed:v1`, credentials: credentials(), 'insecure-registries': registry.host });
  expect(pushed.code).toBe(0);
  expect(pushed.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(pushed.summary).toContain('oci-layout');
  const checked = await runAction('check-image', { images: `${registry.host}/act/pushed:v1`, minimums: 'coder', credentials: credentials(), 'insecure-registries': registry.host });
  expect(checked.code).toBe(1);
  expect(checked.outputs.passed).toBe('false');
  const report = JSON.parse(checked.outputs.report!);
  expect(report[0].digest).toBe(pushed.outputs.digest);
  expect(Object.fromEntries(report[0].rules.map((r: { id: string; passed: boolean }) => [r.id, r.passed]))).toEqual({
    shell: true,
    'download-tool': true,
    git: false,
    'ca-certificates': false,
    'non-root-user': true,
  });
  expect(checked.stdout).toMatch(/::error::.*act\/pushed:v1: not met: git/);
  expect(checked.summary).toContain('## Image minimums');
}, 60000);

test('bad inputs are one clear error line', async () => {
  const run = await runAction('promote', { images: 'Not A Ref', to: 'latest' });
  expect(run.code).toBe(1);
  expect(run.stdout).toMatch(/::error::input 'images': Not A Ref has no tag|::error::invalid image reference/);
  const creds = await runAction('check-image', { images: `${registry.host}/x:y`, credentials: 'local:\n  registry: r\n  pasword: x' });
  expect(creds.stdout).toMatch(/::error::credentials.local line 3: unknown field\(s\) pasword/);
}, 60000);
