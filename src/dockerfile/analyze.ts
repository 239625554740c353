// Dockerfile analysis with the Docker language server's parser (dockerfile-ast): the FROM lines
// with global ARGs expanded the way the builder does it, multi-stage aliases, --platform and
// digests, each reference parsed and normalised for matching against templates.
//
// Expansion follows BuildKit and buildah: the ARGs before the first FROM are evaluated in order;
// a build arg (template parameter, variant value, --build-arg) replaces an ARG's default; an
// ARG's default may refer to earlier ARGs (`ARG BASE_IMAGE=$REGISTRY/$OWNER/base`); FROM sees
// only those global ARGs. `$A`, `${A}`, `${A:-word}`, `${A-word}`, `${A:+word}`, `${A+word}`,
// `${A:?message}` and `\$` work as in the builder; an unset variable expands to nothing.
import { DockerfileParser } from 'dockerfile-ast';
import { parseReference, type ImageReference } from '../systems/registry/reference.js';
import { describeError } from '../lib/errors.js';

export interface FromLine {
  /** 1-based line and column of the image argument (or of FROM when it has none). */
  line: number;
  column: number;
  /** The image argument as written (`${BASE}`, `ghcr.io/acme/base:centos`). */
  raw: string;
  /** After expansion of global ARGs and build args. */
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

/** A variable that expanded to nothing, and the chain of ARGs through which it was reached. */
export interface Unresolved {
  name: string;
  /** ARG names whose defaults led to it, outermost first (`BASE_IMAGE` for `$REGISTRY` in its default). */
  via: string[];
}

/** What an ARG holds: its value, and the unset variables its default referred to. */
interface ArgValue {
  value: string;
  line: number;
  unresolved: Unresolved[];
}

export type Scope = ReadonlyMap<string, ArgValue | undefined>;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;
const WHOLE_VARIABLE = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$/;

/** Index of the `}` closing the `${` whose body starts at `start`, honouring nesting and `\`. */
function closingBrace(text: string, start: number): number {
  let depth = 1;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === '$' && text[i + 1] === '{') {
      depth++;
      i++;
    } else if (c === '}' && --depth === 0) return i;
  }
  return -1;
}

/**
 * Expands `text` in `scope` as the Dockerfile builder does. Variables that are declared without
 * a value or not declared at all expand to '' and are listed in `unresolved` (with the ARG chain
 * that led to them); `${A:?msg}` on an unset A adds to `errors`.
 */
export function expandWord(text: string, scope: Scope, unresolved: Unresolved[], errors: string[] = []): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && text[i + 1] === '$') {
      out += '$';
      i++;
      continue;
    }
    if (c !== '$') {
      out += c;
      continue;
    }
    if (text[i + 1] === '{') {
      const end = closingBrace(text, i + 2);
      const body = end < 0 ? '' : text.slice(i + 2, end);
      const name = NAME.exec(body)?.[0];
      if (end < 0 || !name) {
        out += c; // not a variable: the builder keeps it (and fails later on the reference)
        continue;
      }
      i = end;
      const rest = body.slice(name.length);
      const arg = scope.get(name);
      const set = arg !== undefined;
      const nonEmpty = set && arg.value !== '';
      const modifier = /^(:?)([-+?])/.exec(rest);
      if (rest === '') {
        if (!set) unresolved.push({ name, via: [] });
        else unresolved.push(...arg.unresolved);
        out += arg?.value ?? '';
      } else if (modifier) {
        const word = rest.slice(modifier[0].length);
        const present = modifier[1] === ':' ? nonEmpty : set;
        if (modifier[2] === '-') {
          if (present) {
            unresolved.push(...arg!.unresolved);
            out += arg!.value;
          } else out += expandWord(word, scope, unresolved, errors);
        } else if (modifier[2] === '+') {
          if (present) out += expandWord(word, scope, unresolved, errors);
        } else if (present) {
          out += arg!.value;
        } else {
          errors.push(`'${name}' has no value${word ? `: ${expandWord(word, scope, [], [])}` : ''}`);
        }
      } else {
        errors.push(`\${${body}} is not a substitution the builder supports`);
      }
      continue;
    }
    const name = NAME.exec(text.slice(i + 1))?.[0];
    if (!name) {
      out += c;
      continue;
    }
    i += name.length;
    const arg = scope.get(name);
    if (arg === undefined) unresolved.push({ name, via: [] });
    else unresolved.push(...arg.unresolved);
    out += arg?.value ?? '';
  }
  return out;
}

function describeUnresolved(list: readonly Unresolved[], args: ReadonlyMap<string, ArgValue | undefined>, declared: ReadonlySet<string>): string {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const u of list) {
    const key = [...u.via, u.name].join('<');
    if (seen.has(key)) continue;
    seen.add(key);
    let text = `'${u.name}' has no value`;
    if (!declared.has(u.name)) text += ` (no ARG ${u.name} before the first FROM)`;
    if (u.via.length > 0) {
      const holder = u.via[u.via.length - 1]!;
      text += `; ARG ${holder}${args.get(holder) ? ` on line ${args.get(holder)!.line}` : ''} refers to it`;
    }
    parts.push(text);
  }
  return parts.join(', ');
}

/** The first source line of an instruction, as written, for messages. */
function lineText(lines: readonly string[], line: number): string {
  const text = (lines[line - 1] ?? '').trim().replace(/\s*\\$/, '');
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

/** The instructions the graph needs, as written: global ARGs, every ARG name, the FROM lines. */
export interface Instructions {
  globalArgs: { name: string; value: string | null; line: number }[];
  stageArgNames: string[];
  froms: { line: number; column: number; instructionLine: number; raw: string; stage?: string; platform?: string }[];
}

/** Everything dockerfile-ast handles: continuations, quotes, escapes, heredocs, directives. */
export function parsedInstructions(text: string): Instructions {
  const dockerfile = DockerfileParser.parse(text);
  const result: Instructions = { globalArgs: [], stageArgNames: [], froms: [] };
  for (const arg of dockerfile.getInitialARGs()) {
    for (const property of arg.getProperties()) {
      const name = property.getName();
      if (name) result.globalArgs.push({ name, value: property.getValue() ?? null, line: property.getRange().start.line + 1 });
    }
  }
  const firstFrom = dockerfile.getFROMs()[0]?.getRange().start.line ?? Infinity;
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() !== 'ARG' || instruction.getRange().start.line < firstFrom) continue;
    for (const a of instruction.getArguments()) {
      const name = a.getValue().split('=')[0];
      if (name && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) result.stageArgNames.push(name);
    }
  }
  for (const from of dockerfile.getFROMs()) {
    const range = from.getImageRange() ?? from.getRange();
    const entry: Instructions['froms'][number] = {
      line: range.start.line + 1,
      column: range.start.character + 1,
      instructionLine: from.getRange().start.line + 1,
      raw: from.getImage() ?? '',
    };
    const stage = from.getBuildStage();
    if (stage) entry.stage = stage;
    const platform = from.getPlatformFlag()?.getValue();
    if (platform) entry.platform = platform;
    result.froms.push(entry);
  }
  return result;
}

const INSTRUCTION = /^\s*([A-Za-z]+)(?:\s+(.*?))?\s*$/;

/**
 * The same for the plain Dockerfiles nearly everyone writes, without building a syntax tree: a
 * line scan (a plan reads thousands of Dockerfiles). Returns undefined, and the caller uses
 * dockerfile-ast, as soon as anything is not plain: a parser directive, a heredoc, a FROM or ARG
 * continued over lines, quotes or backslashes in an ARG or FROM.
 */
export function scannedInstructions(text: string): Instructions | undefined {
  if (text.includes('<<') || /^\s*#\s*escape\s*=/im.test(text)) return undefined;
  const result: Instructions = { globalArgs: [], stageArgNames: [], froms: [] };
  const lines = text.split('\n');
  let continued = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    const wasContinued = continued;
    continued = /\\\s*$/.test(line) && !/^\s*#/.test(line);
    // A comment line inside a continued instruction does not end it.
    if (wasContinued) {
      if (/^\s*(#|$)/.test(line)) continued = true;
      continue;
    }
    if (/^\s*(#|$)/.test(line)) continue;
    const m = INSTRUCTION.exec(line);
    if (!m) continue;
    const keyword = m[1]!.toUpperCase();
    if (keyword !== 'FROM' && keyword !== 'ARG') continue;
    const rest = m[2] ?? '';
    if (continued || /["'\\]/.test(rest)) return undefined;
    const start = line.length - line.trimStart().length + m[1]!.length;
    const tokens: { text: string; column: number }[] = [];
    for (const t of rest.matchAll(/\S+/g)) tokens.push({ text: t[0], column: line.indexOf(rest, start) + t.index! + 1 });
    if (keyword === 'ARG') {
      for (const { text: token } of tokens) {
        const eq = token.indexOf('=');
        const name = eq < 0 ? token : token.slice(0, eq);
        if (result.froms.length === 0) result.globalArgs.push({ name, value: eq < 0 ? null : token.slice(eq + 1), line: i + 1 });
        else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) result.stageArgNames.push(name);
      }
      continue;
    }
    let k = 0;
    let platform: string | undefined;
    for (; k < tokens.length && tokens[k]!.text.startsWith('--'); k++) {
      const flag = /^--platform=(.*)$/.exec(tokens[k]!.text);
      if (flag) platform = flag[1];
    }
    const image = tokens[k];
    const entry: Instructions['froms'][number] = { line: i + 1, column: image ? image.column : start - m[1]!.length + 1, instructionLine: i + 1, raw: image?.text ?? '' };
    if (tokens[k + 1]?.text.toUpperCase() === 'AS' && tokens[k + 2]) entry.stage = tokens[k + 2]!.text;
    if (platform) entry.platform = platform;
    result.froms.push(entry);
  }
  return result;
}

/** Analyses a Dockerfile; `buildArgs` (parameters, --build-arg) replace ARG defaults. */
export function analyzeDockerfile(text: string, buildArgs: Readonly<Record<string, string>> = {}): DockerfileAnalysis {
  const instructions = scannedInstructions(text) ?? parsedInstructions(text);
  const lines = text.split('\n');
  const problems: DockerfileProblem[] = [];
  const args = new Set<string>();
  const scope = new Map<string, ArgValue | undefined>();
  const declaredGlobal = new Set<string>();
  for (const { name, value: raw, line } of instructions.globalArgs) {
    args.add(name);
    declaredGlobal.add(name);
    if (Object.hasOwn(buildArgs, name)) {
      scope.set(name, { value: buildArgs[name]!, line, unresolved: [] });
      continue;
    }
    if (raw === null) {
      // `ARG A` without a default: unset, unless an earlier ARG A gave it one.
      if (!scope.has(name)) scope.set(name, undefined);
      continue;
    }
    const found: Unresolved[] = [];
    const errors: string[] = [];
    const value = expandWord(raw, scope, found, errors);
    for (const e of errors) problems.push({ line, column: 1, message: `${lineText(lines, line)}: ${e}` });
    scope.set(name, { value, line, unresolved: found.map((u) => ({ name: u.name, via: [name, ...u.via] })) });
  }
  for (const name of instructions.stageArgNames) args.add(name);
  // A build arg for an ARG declared only inside a stage: the FROM lines cannot see it in the
  // builder, but a FROM naming it would otherwise be unset; keep the value as before.
  for (const [name, value] of Object.entries(buildArgs)) if (!scope.has(name) && args.has(name)) scope.set(name, { value, line: 0, unresolved: [] });

  const stages: string[] = [];
  const froms: FromLine[] = [];
  for (const from of instructions.froms) {
    const { line, column, raw, stage } = from;
    const entry: FromLine = { line, column, raw, image: raw };
    if (stage) entry.stage = stage;
    if (from.platform) entry.platform = from.platform;
    froms.push(entry);
    const written = lineText(lines, from.instructionLine);
    if (!raw) {
      problems.push({ line, column, message: `${written}: FROM has no image` });
      continue;
    }
    const unresolved: Unresolved[] = [];
    const errors: string[] = [];
    entry.image = expandWord(raw, scope, unresolved, errors);
    const whole = WHOLE_VARIABLE.exec(raw);
    if (whole) entry.viaArg = whole[1] ?? whole[2];
    if (errors.length > 0 || unresolved.length > 0 || entry.image === '') {
      const why = errors.length > 0 ? errors.join(', ') : unresolved.length > 0 ? describeUnresolved(unresolved, scope, declaredGlobal) : `the image expands to nothing`;
      const names = [...new Set(unresolved.map((u) => u.name))];
      const fix = names.length > 0 ? `give ${names.length === 1 ? 'it' : 'them'} a default in an ARG before the first FROM, a template parameter, or --build-arg ${names[0]}=...` : 'give the ARG a value';
      problems.push({ line, column, message: `${written}: ${why}${entry.image !== '' ? ` (expands to '${entry.image}')` : ''}; ${fix}` });
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
        const expanded = entry.image !== raw ? ` (expands to '${entry.image}')` : '';
        problems.push({ line, column, message: `${written}${expanded}: ${describeError(err).replace(/^invalid image reference '[^']*': /, 'invalid image reference: ')}` });
      }
    }
    if (stage) stages.push(stage.toLowerCase());
  }
  if (froms.length === 0) problems.push({ line: 1, column: 1, message: 'the Dockerfile has no FROM instruction; every Dockerfile must start its build stage with FROM' });
  return { froms, args, problems };
}
