import { analyzeDockerfile } from './analyze.js';

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
  ['FROM --platform=linux/amd64 ghcr.io/acme/base:1 AS build\nFROM build\n', [
    { ref: 'ghcr.io/acme/base:1', platform: 'linux/amd64' },
    { image: 'build', stageRef: 'build', ref: undefined, line: 2 },
  ]],
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
