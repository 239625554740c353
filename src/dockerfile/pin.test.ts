import { pinParents } from './pin.js';
import type { PlannedFrom } from '../plan/types.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const PINNED = {
  base: `127.0.0.1:5000/acme/base@${D1}`,
  golden: `127.0.0.1:5000/acme/golden@${D2}`,
};

test.each<{ title: string; dockerfile: string; from: PlannedFrom[]; args?: Record<string, string>; expected: string; expectedArgs?: Record<string, string> }>([
  {
    title: 'a plain FROM with a tag',
    dockerfile: 'FROM ghcr.io/acme/base:latest\nRUN echo hi\n',
    from: [{ line: 1, ref: 'ghcr.io/acme/base:latest', parent: 'base' }],
    expected: `FROM ${PINNED.base}\nRUN echo hi\n`,
  },
  {
    title: 'flags and a stage name stay in place',
    dockerfile: 'FROM --platform=linux/amd64 ghcr.io/acme/base:centos AS build\nRUN make\n',
    from: [{ line: 1, ref: 'ghcr.io/acme/base:centos', parent: 'base' }],
    expected: `FROM --platform=linux/amd64 ${PINNED.base} AS build\nRUN make\n`,
  },
  {
    title: 'an existing digest is replaced',
    dockerfile: `FROM ghcr.io/acme/base@sha256:${'9'.repeat(64)}\n`,
    from: [{ line: 1, ref: `ghcr.io/acme/base@sha256:${'9'.repeat(64)}`, parent: 'base' }],
    expected: `FROM ${PINNED.base}\n`,
  },
  {
    title: 'multi-stage: only the FROM lines with a parent change, stage references stay',
    dockerfile: ['FROM ghcr.io/acme/base AS build', 'RUN make', 'FROM ubuntu:24.04', 'FROM build AS test', 'FROM ghcr.io/acme/golden:main', 'COPY --from=build /out /out', ''].join('\n'),
    from: [
      { line: 1, ref: 'ghcr.io/acme/base', parent: 'base' },
      { line: 3, ref: 'ubuntu:24.04' },
      { line: 5, ref: 'ghcr.io/acme/golden:main', parent: 'golden' },
    ],
    expected: [`FROM ${PINNED.base} AS build`, 'RUN make', 'FROM ubuntu:24.04', 'FROM build AS test', `FROM ${PINNED.golden}`, 'COPY --from=build /out /out', ''].join('\n'),
  },
  {
    title: 'a FROM split over a continuation line',
    dockerfile: 'FROM \\\n  ghcr.io/acme/base:test AS b\nRUN true\n',
    from: [{ line: 1, ref: 'ghcr.io/acme/base:test', parent: 'base' }],
    expected: `FROM \\\n  ${PINNED.base} AS b\nRUN true\n`,
  },
  {
    title: 'CRLF line endings are kept',
    dockerfile: 'FROM ghcr.io/acme/base:test\r\nRUN true\r\n',
    from: [{ line: 1, ref: 'ghcr.io/acme/base:test', parent: 'base' }],
    expected: `FROM ${PINNED.base}\r\nRUN true\r\n`,
  },
  {
    title: 'a partly variable reference is replaced whole',
    dockerfile: 'ARG TAG=main\nFROM ghcr.io/acme/base:${TAG}\n',
    from: [{ line: 2, ref: 'ghcr.io/acme/base:main', parent: 'base' }],
    expected: `ARG TAG=main\nFROM ${PINNED.base}\n`,
  },
  {
    title: 'FROM ${BASE}: the build argument is set, the text stays',
    dockerfile: 'ARG BASE=ghcr.io/acme/base:latest\nFROM ${BASE}\nRUN true\n',
    from: [{ line: 2, ref: 'ghcr.io/acme/base:latest', parent: 'base', viaArg: 'BASE' }],
    args: { BASE: 'ghcr.io/acme/base:latest', OTHER: 'x' },
    expected: 'ARG BASE=ghcr.io/acme/base:latest\nFROM ${BASE}\nRUN true\n',
    expectedArgs: { BASE: PINNED.base, OTHER: 'x' },
  },
  {
    title: 'no parents: nothing changes',
    dockerfile: 'FROM ubuntu:24.04\n',
    from: [{ line: 1, ref: 'ubuntu:24.04' }],
    args: { A: 'b' },
    expected: 'FROM ubuntu:24.04\n',
    expectedArgs: { A: 'b' },
  },
])('$title', ({ dockerfile, from, args, expected, expectedArgs }) => {
  const result = pinParents(dockerfile, from, args ?? {}, PINNED);
  expect(result.dockerfile).toBe(expected);
  expect(result.buildArgs).toEqual(expectedArgs ?? args ?? {});
  expect(result.pins.map((p) => p.to)).toEqual(from.filter((f) => f.parent).map((f) => PINNED[f.parent as keyof typeof PINNED]));
});

test('the input build arguments are not modified', () => {
  const args = { BASE: 'x' };
  pinParents('FROM ${BASE}\n', [{ line: 1, ref: 'x', parent: 'base', viaArg: 'BASE' }], args, PINNED);
  expect(args).toEqual({ BASE: 'x' });
});

test('a planned FROM line that is not in the Dockerfile is a clear error', () => {
  expect(() => pinParents('RUN true\n', [{ line: 1, ref: 'ghcr.io/acme/base', parent: 'base' }], {}, PINNED)).toThrow("cannot pin 'ghcr.io/acme/base': the Dockerfile has no FROM with an image on line 1");
});
