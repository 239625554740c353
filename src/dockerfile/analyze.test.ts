import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { analyzeDockerfile, parsedInstructions, scannedInstructions } from './analyze.js';

const summary = (text: string, args: Record<string, string> = {}) =>
  analyzeDockerfile(text, args).froms.map((f) => ({
    image: f.image,
    ref: f.reference ? `${f.reference.registry}/${f.reference.repository}${f.reference.tag ? `:${f.reference.tag}` : ''}${f.reference.digest ? `@${f.reference.digest}` : ''}` : undefined,
    stageRef: f.stageRef,
    viaArg: f.viaArg,
    platform: f.platform,
    line: f.line,
  }));

const digest = 'sha256:' + 'a'.repeat(64);

test.each([
  ['FROM busybox\n', [{ image: 'busybox', ref: 'docker.io/library/busybox', line: 1 }]],
  ['FROM docker.io/acme/base:centos\n', [{ ref: 'docker.io/acme/base:centos' }]],
  ['FROM library/ubuntu:24.04\n', [{ ref: 'docker.io/library/ubuntu:24.04' }]],
  [`FROM ghcr.io/acme/base@${digest}\n`, [{ ref: `ghcr.io/acme/base@${digest}` }]],
  [
    'FROM --platform=linux/amd64 ghcr.io/acme/base:1 AS build\nFROM build\n',
    [
      { ref: 'ghcr.io/acme/base:1', platform: 'linux/amd64' },
      { image: 'build', stageRef: 'build', ref: undefined, line: 2 },
    ],
  ],
  ['ARG BASE=ghcr.io/acme/base:ubuntu\nFROM ${BASE}\n', [{ ref: 'ghcr.io/acme/base:ubuntu', viaArg: 'BASE' }]],
  ['ARG TAG=1\nFROM ghcr.io/acme/base:$TAG\n', [{ ref: 'ghcr.io/acme/base:1', viaArg: undefined }]],
  ['ARG V\nFROM ghcr.io/acme/base:${V:-7}\n', [{ ref: 'ghcr.io/acme/base:7' }]],
  ['FROM scratch\n', [{ image: 'scratch', ref: undefined }]],
  ['# comment\n\nFROM alpine AS a\nFROM a AS b\nFROM B\n', [{ line: 3 }, { stageRef: 'a' }, { stageRef: 'B' }]],
])('%p', (text, expected) => {
  expect(summary(text)).toMatchObject(expected);
});

test('build args override ARG defaults', () => {
  expect(summary('ARG BASE=x/a:1\nFROM ${BASE}\n', { BASE: 'ghcr.io/acme/base:2' })[0]!.ref).toBe('ghcr.io/acme/base:2');
});

test.each([
  ['RUN echo hi\n', /no FROM instruction/],
  ['FROM ${BASE}\n', /'BASE' has no value/],
  ['FROM Acme/Base\n', /invalid image reference/],
])('problem for %p', (text, message) => {
  const { problems } = analyzeDockerfile(text);
  expect(problems).toHaveLength(1);
  expect(problems[0]!.message).toMatch(message);
});

// Expansion as BuildKit and buildah do it (checked against buildah in test/graph/expansion.itg.test.ts).
test.each([
  ['nested ARG defaults', 'ARG REGISTRY=quay.io\nARG OWNER=jupyter\nARG BASE_IMAGE=$REGISTRY/$OWNER/base-notebook\nFROM $BASE_IMAGE\n', {}, 'quay.io/jupyter/base-notebook'],
  ['build arg overrides an inner ARG', 'ARG REGISTRY=quay.io\nARG OWNER=jupyter\nARG BASE_IMAGE=$REGISTRY/$OWNER/base-notebook\nFROM $BASE_IMAGE\n', { OWNER: 'acme', REGISTRY: 'ghcr.io' }, 'ghcr.io/acme/base-notebook'],
  ['build arg overrides the outer ARG', 'ARG REGISTRY=quay.io\nARG BASE_IMAGE=$REGISTRY/x\nFROM $BASE_IMAGE\n', { BASE_IMAGE: 'ghcr.io/y:1' }, 'ghcr.io/y:1'],
  ['three levels', 'ARG A=a.io\nARG B=${A}/b\nARG C=${B}/c:${TAG:-7}\nFROM ${C}\n', {}, 'a.io/b/c:7'],
  [':- on empty', 'ARG V=\nFROM busybox:${V:-1.36}\n', {}, 'busybox:1.36'],
  ['- keeps empty-but-set', 'ARG V=\nARG W=x${V-unset}\nFROM busybox:${W}\n', {}, 'busybox:x'],
  [':+ on set', 'ARG DEBUG=1\nFROM busybox:1${DEBUG:+-debug}\n', {}, 'busybox:1-debug'],
  [':+ on unset', 'ARG DEBUG\nFROM busybox:1${DEBUG:+-debug}\n', {}, 'busybox:1'],
  ['nested default word', 'ARG FALLBACK=2\nFROM busybox:${TAG:-${FALLBACK}}\n', {}, 'busybox:2'],
  ['later ARG redeclared without default keeps the value', 'ARG T=3\nARG T\nFROM busybox:$T\n', {}, 'busybox:3'],
  ['quoted default', 'ARG IMG="busybox:1"\nFROM $IMG\n', {}, 'busybox:1'],
  ['two ARGs on one line', 'ARG R=quay.io O=acme\nFROM $R/$O/x\n', {}, 'quay.io/acme/x'],
  ['escaped dollar stays literal in an ARG default', 'ARG A=\\$B\nARG C=busybox\nFROM $C\n', {}, 'busybox'],
  ['stage ARGs are not seen by FROM', 'ARG T=1\nFROM busybox:$T AS a\nARG T=2\nFROM busybox:$T\n', {}, 'busybox:1'],
])('expands %s', (_name, text, args, image) => {
  const { froms, problems } = analyzeDockerfile(text, args);
  expect(problems).toEqual([]);
  expect(froms[froms.length - 1]!.image).toBe(image);
});

test.each([
  [
    'an unset ARG reached through another ARG names both and quotes the line as written',
    'ARG OWNER=jupyter\nARG BASE_IMAGE=$REGISTRY/$OWNER/pyspark-notebook\nFROM $BASE_IMAGE\n',
    "FROM $BASE_IMAGE: 'REGISTRY' has no value (no ARG REGISTRY before the first FROM); ARG BASE_IMAGE on line 2 refers to it (expands to '/jupyter/pyspark-notebook'); give it a default in an ARG before the first FROM, a template parameter, or --build-arg REGISTRY=...",
  ],
  ['a declared ARG without default', 'ARG BASE\nFROM ${BASE}\n', "FROM ${BASE}: 'BASE' has no value; give it a default"],
  ['a tag with no value', 'ARG TAG\nFROM busybox:$TAG\n', "FROM busybox:$TAG: 'TAG' has no value (expands to 'busybox:')"],
  [':? with a message', 'FROM ${BASE:?required}\n', "FROM ${BASE:?required}: 'BASE' has no value: required"],
  ['an invalid expansion quotes the line and the result', 'ARG R=Quay.io//x\nFROM $R\n', "FROM $R (expands to 'Quay.io//x'): invalid image reference"],
])('%s', (_name, text, message) => {
  const { problems } = analyzeDockerfile(text);
  expect(problems).toHaveLength(1);
  expect(problems[0]!.message).toContain(message);
});

// The line scan must read plain Dockerfiles exactly as dockerfile-ast does, and leave the rest to it.
const plainDockerfiles = [
  'FROM busybox\n',
  '  from   --platform=linux/arm64   ghcr.io/acme/base:1   as   Build\nRUN x \\\n  FROM not-an-instruction\nFROM build\n',
  'ARG A=1 B\nARG C=${A:-2}\n# FROM commented\nFROM $C AS one\nARG D=4 E\nFROM one\n',
  'ARG R=quay.io\nARG O=jupyter\nARG BASE_IMAGE=$R/$O/base-notebook\nFROM $BASE_IMAGE\nLABEL a=b\nRUN set -e; \\\n  # comment inside\n  echo FROM x\nCOPY --from=one /a /b\n',
  'FROM\n',
  '\r\nFROM alpine:3\r\nARG X=1\r\n',
];
const notPlain = ['ARG A="x y"\nFROM busybox\n', 'FROM a \\\n  AS b\n', '# escape=`\nFROM busybox\n', 'FROM busybox\nRUN <<EOF\nFROM x\nEOF\n'];

test.each(plainDockerfiles)('the line scan reads %p as dockerfile-ast does', (text) => {
  expect(scannedInstructions(text)).toEqual(parsedInstructions(text));
});

test.each(notPlain)('the line scan leaves %p to dockerfile-ast', (text) => {
  expect(scannedInstructions(text)).toBeUndefined();
});

test('every Dockerfile in the fixtures and examples reads the same either way', () => {
  const files = execFileSync('git', ['ls-files', '*Dockerfile*', '*.Dockerfile'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  expect(files.length).toBeGreaterThan(10);
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const scanned = scannedInstructions(text);
    if (scanned) expect([file, scanned]).toEqual([file, parsedInstructions(text)]);
  }
});
