// Graphs of repositories laid out the way public image repositories are (fixtures written for
// this project in their shape): nested ARG defaults on the zero-YAML layout, variant
// Dockerfiles beside each other, variant matrices, old tags of images built here.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPlan } from '../../src/plan/index.js';
import { runCli } from '../cli/run.js';

const real = (name: string) => join('test/fixtures/real', name);
const parentsOf = (plan: Awaited<ReturnType<typeof createPlan>>) => Object.fromEntries(Object.values(plan.images).map((i) => [i.name, i.parents]));

describe('notebook stacks: images/<name>/Dockerfile with ARG BASE_IMAGE=$REGISTRY/$OWNER/<parent>', () => {
  const chain = {
    'stacks-foundation': [],
    'base-notebook': ['stacks-foundation'],
    'minimal-notebook': ['base-notebook'],
    'scipy-notebook': ['minimal-notebook'],
    'r-notebook': ['minimal-notebook'],
    'julia-notebook': ['minimal-notebook'],
    'pyspark-notebook': ['scipy-notebook'],
    'all-spark-notebook': ['pyspark-notebook'],
  };

  test('every edge, with the registry the Dockerfiles default to', async () => {
    const plan = await createPlan(real('notebook-stacks'), { conventionRegistry: 'quay.io/notebooks' });
    expect(parentsOf(plan)).toEqual(chain);
    expect(plan.images['base-notebook']!.from).toEqual([{ line: 5, ref: 'quay.io/notebooks/stacks-foundation', parent: 'stacks-foundation', viaArg: 'BASE_IMAGE' }]);
    expect(plan.images['julia-notebook']!.from).toEqual([{ line: 5, ref: 'quay.io/notebooks/minimal-notebook:latest', parent: 'minimal-notebook' }]);
    expect(plan.images['stacks-foundation']!.externalBases).toEqual(['docker.io/library/ubuntu:24.04']);
    expect(plan.levels).toHaveLength(6);
  });

  test('the same graph in another registry through --build-arg REGISTRY/OWNER, as the builder would get them', async () => {
    const plan = await createPlan(real('notebook-stacks'), { conventionRegistry: 'ghcr.io/acme', buildArgs: { REGISTRY: 'ghcr.io', OWNER: 'acme' } });
    expect(parentsOf(plan)).toEqual(chain);
    expect(plan.images['pyspark-notebook']!.buildArgs).toEqual({ REGISTRY: 'ghcr.io', OWNER: 'acme' });
  });

  test('a tag override reaches the ${TAG:-latest} default; a tag nobody publishes is an outside image, and the plan says so', async () => {
    const plan = await createPlan(real('notebook-stacks'), { conventionRegistry: 'quay.io/notebooks', buildArgs: { TAG: '2024-01-01' } });
    expect(plan.images['julia-notebook']!.parents).toEqual([]);
    expect(plan.images['julia-notebook']!.notes).toEqual(['images/julia-notebook/Dockerfile:5: uses quay.io/notebooks/minimal-notebook:2024-01-01 from the registry; not built here (this repository builds :latest of it, not :2024-01-01)']);
  });

  test('without the registry the images are published to, nothing is built on anything, and the text plan says where each comes from', async () => {
    const { code, stdout } = await runCli(['plan', real('notebook-stacks')]);
    expect(code).toBe(0);
    expect(stdout).toContain('Build 8 of 8 images in 1 level:');
    expect(stdout).toContain('images/base-notebook/Dockerfile:5: uses quay.io/notebooks/stacks-foundation from the registry; not built here');
  });
});

describe('workspace images: <variant>.Dockerfile and Dockerfile.<variant> beside each other', () => {
  test('each variant file is its own image with its own tag, and FROM picks the variant by tag', async () => {
    const plan = await createPlan(real('workspace-images'), { conventionRegistry: 'docker.io/acme' });
    expect(parentsOf(plan)).toEqual({
      'ws-base-centos': [],
      'ws-base-ubuntu': [],
      'ws-desktop': [],
      'ws-golang-centos': ['ws-base-centos'],
      'ws-golang-ubuntu': ['ws-base-ubuntu'],
      'ws-minimal-ubuntu': ['ws-base-ubuntu'],
      'ws-node-ubuntu': ['ws-minimal-ubuntu'],
    });
    expect(plan.images['ws-golang-centos']).toMatchObject({ repository: 'docker.io/acme/ws-golang', tags: ['centos'], dockerfile: 'images/ws-golang/Dockerfile.centos', context: 'images/ws-golang' });
    expect(plan.images['ws-golang-ubuntu']).toMatchObject({ repository: 'docker.io/acme/ws-golang', tags: ['ubuntu'], dockerfile: 'images/ws-golang/ubuntu.Dockerfile' });
    // Only variants of ws-minimal exist, so nothing here publishes its :latest.
    expect(plan.images['ws-desktop']!.notes).toEqual(['images/ws-desktop/Dockerfile:2: uses docker.io/acme/ws-minimal:latest from the registry; not built here (this repository builds :ubuntu of it, not :latest)']);
  });
});

describe('devcontainer images: variant matrices, old tags, and the right variant as parent', () => {
  test('every variant is a node with its tags and parameter values, and every edge is the exact tag', async () => {
    const plan = await createPlan(real('devcontainer-images'));
    expect(parentsOf(plan)).toEqual({
      'base-trixie': [],
      'base-bookworm': [],
      'base-bullseye': [],
      'ruby-4.0-trixie': [],
      'ruby-3.4-trixie': [],
      'ruby-3.3-trixie': [],
      'ruby-4.0-bookworm': [],
      'ruby-3.4-bookworm': [],
      'ruby-3.3-bookworm': [],
      'node-22-trixie': ['base-trixie'],
      'node-22-bookworm': ['base-bookworm'],
      'node-20-bookworm': ['base-bookworm'],
      'node-20-bullseye': ['base-bullseye'],
      cpp: [],
      rails: ['ruby-3.4-bookworm'],
      universal: ['base-trixie', 'node-20-bookworm'],
    });
    expect(plan.images['ruby-3.4-bookworm']).toMatchObject({ repository: 'ghcr.io/acme/devcontainers/ruby', tags: ['3.4-bookworm'], buildArgs: { VARIANT: '3.4-bookworm' }, externalBases: ['docker.io/library/ruby:3.4-bookworm'] });
    expect(plan.images['base-bullseye']).toMatchObject({ tags: ['2-bullseye', 'bullseye'], buildArgs: { VARIANT: 'bullseye' }, file: '.coder/images/base.yaml' });
    expect(plan.images['node-20-bullseye']).toMatchObject({ buildArgs: { DISTRO: 'bullseye', NODE: '20' }, from: [{ line: 4, ref: 'ghcr.io/acme/devcontainers/base:2-bullseye', parent: 'base-bullseye', viaArg: 'BASE_IMAGE' }] });
  });

  test('an old tag of an image built here does not block the plan: it is pulled, and the plan says so', async () => {
    const plan = await createPlan(real('devcontainer-images'));
    expect(plan.images.cpp!.externalBases).toEqual(['ghcr.io/acme/devcontainers/base:1-bookworm']);
    expect(plan.images.cpp!.notes![0]).toBe(
      'src/cpp/Dockerfile:1: uses ghcr.io/acme/devcontainers/base:1-bookworm from the registry; not built here (this repository builds :2-bookworm, :2-bullseye, :2-trixie, :bookworm, :bullseye, :latest, :trixie of it, not :1-bookworm)',
    );
  });

  test('a FROM without tag means latest (published by the variant that lists it); a digest is always outside', async () => {
    const plan = await createPlan(real('devcontainer-images'));
    expect(plan.images.universal!.from.map((f) => [f.ref, f.parent])).toEqual([
      ['ghcr.io/acme/devcontainers/javascript-node:20-bookworm', 'node-20-bookworm'],
      ['ghcr.io/acme/devcontainers/base', 'base-trixie'],
    ]);
    expect(plan.images.universal!.externalBases).toEqual(['ghcr.io/acme/devcontainers/ruby@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef']);
  });

  test('build tags count too: the test tag and a commit tag of a variant', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bi-real-'));
    try {
      const { cpSync } = await import('node:fs');
      cpSync(real('devcontainer-images'), dir, { recursive: true });
      writeFileSync(join(dir, 'src/rails/Dockerfile'), `FROM ghcr.io/acme/devcontainers/ruby:3.4-bookworm-test\nFROM ghcr.io/acme/devcontainers/ruby:4.0-trixie-${'a'.repeat(40)}\n`);
      writeFileSync(join(dir, 'src/cpp/Dockerfile'), 'FROM ghcr.io/acme/devcontainers/base:2-trixie-feature-x\n');
      let plan = await createPlan(dir);
      expect(plan.images.rails!.parents).toEqual(['ruby-3.4-bookworm', 'ruby-4.0-trixie']);
      expect(plan.images.cpp!.parents).toEqual([]);
      plan = await createPlan(dir, { branch: 'refs/heads/feature/x' });
      expect(plan.images.cpp!.parents).toEqual(['base-trixie']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('a repository of dozens of variants: every variant on the same variant of its parent', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bi-many-variants-'));
  const distros = ['trixie', 'bookworm', 'bullseye', 'noble'];
  const languages = ['go', 'rust', 'python', 'php', 'java', 'dotnet', 'elixir', 'haskell', 'ocaml', 'zig', 'swift', 'kotlin'];
  try {
    mkdirSync(join(dir, '.coder/images'), { recursive: true });
    const variants = (extra: (d: string) => string) => distros.map((d) => `    - { name: ${d}, tags: [${d}], parameters: { DISTRO: ${d}${extra(d)} } }`).join('\n');
    writeFileSync(join(dir, '.coder/images/base.yaml'), `name: base\ntype: image\nspec:\n  context: src/base\n  image: ghcr.io/acme/base\n  variants:\n${variants(() => '')}\n`);
    mkdirSync(join(dir, 'src/base'), { recursive: true });
    writeFileSync(join(dir, 'src/base/Dockerfile'), 'ARG DISTRO\nFROM debian:${DISTRO}\n');
    mkdirSync(join(dir, 'src/lang'), { recursive: true });
    writeFileSync(join(dir, 'src/lang/Dockerfile'), 'ARG REGISTRY=ghcr.io\nARG OWNER=acme\nARG DISTRO\nARG BASE=$REGISTRY/$OWNER/base:$DISTRO\nFROM $BASE\nARG LANGUAGE\n');
    for (const language of languages) {
      writeFileSync(join(dir, `.coder/images/${language}.yaml`), `name: ${language}\ntype: image\nspec:\n  context: src/lang\n  image: ghcr.io/acme/${language}\n  variants:\n${variants(() => `, LANGUAGE: ${language}`)}\n`);
    }
    const plan = await createPlan(dir);
    expect(Object.keys(plan.images)).toHaveLength(distros.length * (languages.length + 1));
    for (const language of languages) for (const d of distros) expect(plan.images[`${language}-${d}`]!.parents).toEqual([`base-${d}`]);
    expect(plan.levels.map((l) => l.length)).toEqual([distros.length, distros.length * languages.length]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
