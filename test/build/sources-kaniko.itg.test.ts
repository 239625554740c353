// spec.source and --preview through the kaniko path: the KanikoBuilder against the Kubernetes
// simulator (its kubelet performs each kaniko pod's build with buildah and pushes to the real
// loopback registry). A function image's context is a checkout of a file:// repository,
// streamed to the pod as its context tarball; a preview streams the deterministic tar.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { extract } from 'tar-stream';
import { startRegistry, type TestRegistry } from '../harness/registry.js';
import { pushBusyboxImage } from '../harness/buildah.js';
import { startKubeSim, type KubeSim } from '../kube-sim/index.js';
import { KubeClient } from '../../src/systems/kube/client.js';
import { runSelector } from '../../src/systems/kube/labels.js';
import { KanikoBuilder, contextTarball } from '../../src/builders/kaniko/builder.js';
import { runPipeline } from '../../src/pipeline/pipeline.js';
import { runPreview } from '../../src/pipeline/preview.js';
import { PREVIEW_MTIME, previewArchive } from '../../src/context/preview.js';

const ns = 'builds';
const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' };
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env: gitEnv, encoding: 'utf8' }).trim();

let sim: KubeSim;
let registry: TestRegistry;
let busybox: string;
let client: KubeClient;
let work: string;
let templates: string;
let sourceUrl: string;
let commit: string;

beforeAll(async () => {
  [sim, registry] = await Promise.all([startKubeSim({ namespaces: [ns] }), startRegistry()]);
  busybox = `${registry.host}/library/busybox:1.36`;
  await pushBusyboxImage(busybox);
  // The simulator's kubelet resolves the executor image like any other: it must be in the registry.
  execFileSync('skopeo', ['copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${busybox}`, `docker://${registry.host}/osscontainertools/kaniko:v1.28.5`], { stdio: 'ignore' });
  client = new KubeClient({ kubeConfig: sim.kubeConfig(), retry: { attempts: 5, baseDelayMs: 50, maxDelayMs: 400, maxRetryAfterMs: 1500 } });
  work = mkdtempSync(join(tmpdir(), 'bi-sources-kaniko-'));
  git(work, 'init', '--quiet', '--bare', '--initial-branch=main', 'handler.git');
  sourceUrl = `file://${join(work, 'handler.git')}`;
  git(work, 'clone', '--quiet', sourceUrl, 'handler');
  mkdirSync(join(work, 'handler/fn'));
  writeFileSync(join(work, 'handler/fn/handler.sh'), 'echo from-the-source-repo\n');
  git(join(work, 'handler'), 'add', '.');
  git(join(work, 'handler'), 'commit', '--quiet', '-m', 'handler');
  git(join(work, 'handler'), 'push', '--quiet', 'origin', 'HEAD:refs/heads/main');
  commit = git(join(work, 'handler'), 'rev-parse', 'HEAD');

  templates = join(work, 'templates');
  const files: Record<string, string> = {
    '.coder/images/fn.yaml': `name: fn\ntype: image\nspec:\n  context: functions/fn\n  image: ${registry.host}/acme/fn\n  source: { git: "${sourceUrl}", ref: main, path: fn }\n  smoke:\n    - { name: handler, run: "test \\"$(sh /app/handler.sh)\\" = from-the-source-repo" }\n`,
    'functions/fn/Dockerfile': `FROM ${busybox}\nCOPY . /app/\n`,
    '.coder/images/app.yaml': `name: app\ntype: image\nspec:\n  context: images/app\n  image: ${registry.host}/acme/app\n`,
    'images/app/Dockerfile': `FROM ${busybox}\nCOPY . /app/\n`,
    'images/app/app.txt': 'uncommitted\n',
    'images/app/sub/more.txt': 'more\n',
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(templates, path, '..'), { recursive: true });
    writeFileSync(join(templates, path), text);
  }
}, 120000);

afterAll(async () => {
  await sim?.stop();
  await registry?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

function kaniko(runId: string): KanikoBuilder {
  return new KanikoBuilder({ namespace: ns, client, executorImage: `${registry.host}/osscontainertools/kaniko:v1.28.5`, contextImage: busybox, runId });
}

/** name, mode, mtime and content digest of every entry under context/. */
async function contextEntries(tar: Readable): Promise<string[]> {
  const entries: string[] = [];
  const reader = extract();
  reader.on('entry', (header, stream, next) => {
    const hash = createHash('sha256');
    stream.on('data', (d: unknown) => hash.update(d as Buffer));
    stream.on('end', () => {
      if (header.name.startsWith('context')) entries.push(`${header.name} ${header.type} ${header.mode?.toString(8)} ${header.mtime?.getTime()} ${hash.digest('hex')}`);
      next();
    });
  });
  const done = new Promise<void>((resolve) => reader.on('finish', () => resolve()));
  tar.pipe(reader);
  await done;
  return entries;
}

test('a function image is built in a kaniko pod from the source repository at its commit', async () => {
  const builder = kaniko(`sources-${process.pid}`);
  let result;
  try {
    result = await runPipeline({
      dir: templates,
      selection: { kind: 'names', names: ['fn'] },
      builder,
      origin: { created: '2026-11-20T12:00:00Z' },
      insecureRegistries: [registry.host],
      maxParallel: 1,
      log: () => undefined,
    });
  } finally {
    await builder.cleanup();
  }
  expect([result.images.fn!.status, result.images.fn!.smoke, result.images.fn!.reason]).toEqual(['built', 'passed', undefined]);
  expect(result.plan.images.fn!.source).toEqual({ url: sourceUrl, ref: 'main', commit, path: 'fn' });
  const stdout = execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${registry.host}/acme/fn:test`], { encoding: 'utf8' });
  expect(JSON.parse(stdout).Labels['org.opencontainers.image.revision']).toBe(commit);
  const selector = runSelector(builder.runId);
  expect([...(await client.listPods(ns, selector)), ...(await client.listSecrets(ns, selector))]).toEqual([]);
}, 300000);

test('a preview through kaniko streams the deterministic tar, and the same tree builds nothing the second time', async () => {
  const dockerfile = `FROM ${busybox}\nCOPY . /app/\n`;
  const contextDir = join(templates, 'images/app');
  // The pod receives exactly the preview archive's context entries: same names, modes, mtimes, bytes.
  expect(await contextEntries(contextTarball(contextDir, dockerfile, PREVIEW_MTIME))).toEqual(await contextEntries(previewArchive(contextDir, dockerfile, { repository: 'r', buildArgs: {}, bases: {} })));
  const builder = kaniko(`preview-${process.pid}`);
  try {
    const options = { dir: templates, name: 'app', builder, insecureRegistries: [registry.host], created: '2026-11-20T12:00:00Z', log: () => undefined };
    const first = await runPreview(options);
    expect(first.built).toBe(true);
    expect(first.reference).toMatch(new RegExp(`^${registry.host}/acme/app:preview-[0-9a-f]{64}@sha256:[0-9a-f]{64}$`));
    const second = await runPreview(options);
    expect(second).toEqual({ ...first, built: false });
  } finally {
    await builder.cleanup();
  }
}, 300000);
