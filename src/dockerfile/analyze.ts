// Dockerfile analysis with the Docker language server's parser (dockerfile-ast): the FROM lines
// with global ARG defaults and build args substituted, multi-stage aliases, --platform and
// digests, each reference parsed and normalised for matching against templates.
import { DockerfileParser } from 'dockerfile-ast';
import { parseReference, type ImageReference } from '../systems/registry/reference.js';
import { describeError } from '../lib/errors.js';

export interface FromLine {
  /** 1-based line and column of the image argument (or of FROM when it has none). */
  line: number;
  column: number;
  /** The image argument as written (`${BASE}`, `ghcr.io/acme/base:centos`). */
  raw: string;
  /** After substitution of global ARGs and build args. */
  image: string;
  /** `AS name` of this stage. */
  stage?: string;
  platform?: string;
  /** Name of an earlier stage this FROM builds on (`FROM builder`). */
  stageRef?: string;
  /** The external or template image; absent for `scratch`, stage references and errors. */
  reference?: ImageReference;
  /** Set when the whole reference comes from one ARG (`FROM ${BASE}`). */
  viaArg?: string;
}

export interface DockerfileProblem {
  line: number;
  column: number;
  message: string;
}

export interface DockerfileAnalysis {
  froms: FromLine[];
  /** Every ARG name the Dockerfile declares, global or per stage. */
  args: Set<string>;
  problems: DockerfileProblem[];
}

const WHOLE_VARIABLE = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$/;

/** Expands $VAR, ${VAR}, ${VAR:-default} and ${VAR:+alt} as Docker does in FROM lines. */
export function expandVariables(text: string, values: ReadonlyMap<string, string>, unresolved: string[]): string {
  return text.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?([-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_m, braced, modifier, word, bare) => {
    const name = (braced ?? bare) as string;
    const value = values.get(name);
    if (modifier === '-') return value !== undefined && value !== '' ? value : (word as string);
    if (modifier === '+') return value !== undefined && value !== '' ? (word as string) : '';
    if (value === undefined) {
      unresolved.push(name);
      return '';
    }
    return value;
  });
}

/** Analyses a Dockerfile; `buildArgs` are the template's parameter values (override ARG defaults). */
export function analyzeDockerfile(text: string, buildArgs: Readonly<Record<string, string>> = {}): DockerfileAnalysis {
  const dockerfile = DockerfileParser.parse(text);
  const problems: DockerfileProblem[] = [];
  const args = new Set<string>();
  const globals = new Map<string, string>();
  for (const arg of dockerfile.getInitialARGs()) {
    const property = arg.getProperty();
    const name = property?.getName();
    if (!name) continue;
    args.add(name);
    const value = buildArgs[name] ?? property?.getValue() ?? undefined;
    if (value !== undefined && value !== null) globals.set(name, value);
  }
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === 'ARG') {
      const name = instruction.getArguments()[0]?.getValue().split('=')[0];
      if (name) args.add(name);
    }
  }
  for (const [name, value] of Object.entries(buildArgs)) if (!globals.has(name) && args.has(name)) globals.set(name, value);

  const stages: string[] = [];
  const froms: FromLine[] = [];
  for (const from of dockerfile.getFROMs()) {
    const range = from.getImageRange() ?? from.getRange();
    const line = range.start.line + 1;
    const column = range.start.character + 1;
    const raw = from.getImage() ?? '';
    const stage = from.getBuildStage() ?? undefined;
    const platformFlag = from.getPlatformFlag();
    const entry: FromLine = { line, column, raw, image: raw };
    if (stage) entry.stage = stage;
    if (platformFlag) entry.platform = platformFlag.getValue() ?? undefined;
    froms.push(entry);
    if (!raw) {
      problems.push({ line, column, message: 'FROM has no image' });
      continue;
    }
    const unresolved: string[] = [];
    entry.image = expandVariables(raw, globals, unresolved);
    const whole = WHOLE_VARIABLE.exec(raw);
    if (whole) entry.viaArg = whole[1] ?? whole[2];
    if (unresolved.length > 0 || entry.image === '') {
      const names = unresolved.length > 0 ? unresolved : [entry.viaArg ?? raw];
      problems.push({
        line,
        column,
        message: `FROM ${raw}: ${names.map((n) => `'${n}'`).join(', ')} has no value; give the global ARG a default before the first FROM, or declare it as a template parameter with a default or value`,
      });
      if (stage) stages.push(stage.toLowerCase());
      continue;
    }
    const lower = entry.image.toLowerCase();
    if (stages.includes(lower)) {
      entry.stageRef = entry.image;
    } else if (lower !== 'scratch') {
      try {
        entry.reference = parseReference(entry.image);
      } catch (err) {
        problems.push({ line, column, message: `FROM ${entry.image}: ${describeError(err).replace(/^invalid image reference '[^']*': /, 'invalid image reference: ')}` });
      }
    }
    if (stage) stages.push(stage.toLowerCase());
  }
  if (froms.length === 0) problems.push({ line: 1, column: 1, message: 'the Dockerfile has no FROM instruction; every Dockerfile must start its build stage with FROM' });
  return { froms, args, problems };
}
