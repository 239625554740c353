// YAML parsing that keeps the source position of every node, with guards against hostile
// input: oversized files, binary files and alias bombs fail fast with a message.
import { LineCounter, parseDocument, isMap, isSeq, isPair, isScalar, type Document, type Node } from 'yaml';
import type { Problem } from './problems.js';

export const MAX_TEMPLATE_BYTES = 1024 * 1024;
const MAX_ALIAS_COUNT = 100;

export interface SourceFile {
  /** Relative to the repo root, forward slashes. */
  path: string;
  text: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
  /** The document as plain data (undefined for an empty file). */
  data: unknown;
}

export type PathSegment = string | number;

export interface Position {
  line: number;
  column: number;
  endLine?: number;
  endColumn?: number;
}

/** Deeper than this is no template: the YAML parser's recursion would run out of stack first. */
export const MAX_NESTING = 64;
const MAX_INDENT = 256;

/**
 * A cheap scan before parsing: flow collections (`[[[[`) nested more than MAX_NESTING deep, or
 * block nesting indented more than MAX_INDENT columns. The parser would exhaust its stack (or
 * memory) on such input; a person gets the line instead.
 */
export function nestingProblem(path: string, text: string): Problem | undefined {
  let depth = 0;
  let line = 1;
  let column = 0;
  let quote: string | undefined;
  let comment = false;
  let lineStart = true;
  let indent = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    column++;
    if (c === '\n') {
      line++;
      column = 0;
      comment = false;
      lineStart = true;
      indent = 0;
      continue;
    }
    if (comment) continue;
    if (lineStart) {
      if (c === ' ' || c === '-' || c === '?' || c === ':') {
        indent++;
        if (indent > MAX_INDENT) return problemAt(path, line, 1, `nested more than ${MAX_INDENT} columns deep; templates are a few levels deep: check the indentation`, 'Too deeply nested');
        continue;
      }
      lineStart = false;
    }
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if ((c === '"' || c === "'") && (i === 0 || /[\s[{,:]/.test(text[i - 1]!))) quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) comment = true;
    else if (c === '[' || c === '{') {
      if (++depth > MAX_NESTING) return problemAt(path, line, column, `lists and mappings nested more than ${MAX_NESTING} levels deep; a template is a few levels deep`, 'Too deeply nested');
    } else if ((c === ']' || c === '}') && depth > 0) depth--;
  }
  return undefined;
}

function problemAt(file: string, line: number, column: number, message: string, title: string): Problem {
  return { file, line, column, message, title };
}

/** The first NUL character in any key or string of the data, with its path. */
function nulPath(data: unknown, path: PathSegment[] = []): { path: PathSegment[] } | undefined {
  if (typeof data === 'string') return data.includes('\0') ? { path } : undefined;
  if (Array.isArray(data)) {
    for (let i = 0; i < data.length; i++) {
      const found = nulPath(data[i], [...path, i]);
      if (found) return found;
    }
  } else if (data !== null && typeof data === 'object') {
    for (const [k, v] of Object.entries(data)) {
      if (k.includes('\0')) return { path };
      const found = nulPath(v, [...path, k]);
      if (found) return found;
    }
  }
  return undefined;
}

/** Parses one YAML document; syntax errors become problems with line and column. */
export function parseYamlFile(path: string, text: string): { file?: SourceFile; problems: Problem[] } {
  const deep = nestingProblem(path, text);
  if (deep) return { problems: [deep] };
  const lineCounter = new LineCounter();
  // merge: YAML 1.1 `<<: *defaults` is common in hand-written YAML; accept it.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true, merge: true });
  const problems: Problem[] = [];
  for (const error of doc.errors) {
    const pos = lineCounter.linePos(error.pos[0]);
    // One syntax error tends to cascade into several at the same place: report the first.
    if (problems.some((p) => p.line === pos.line)) continue;
    if (error.code === 'MULTIPLE_DOCS') {
      problems.push(problemAt(path, pos.line, pos.col, "a second YAML document starts here ('---'); put one template in each file", 'Several documents'));
      break;
    }
    if (error.code === 'RESOURCE_EXHAUSTION') {
      problems.push(problemAt(path, pos.line, pos.col, 'the YAML is nested too deeply to read; a template is a few levels deep', 'Too deeply nested'));
      break;
    }
    problems.push({
      file: path,
      line: pos.line,
      column: pos.col,
      message: `YAML syntax error: ${firstLine(error.message)}`,
      title: 'YAML syntax error',
    });
  }
  if (problems.length > 0) return { problems };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/alias/i.test(message)) {
      return {
        problems: [problemAt(path, 1, 1, 'too many YAML alias expansions (possible alias bomb); write the values out instead of nesting aliases', 'Alias bomb')],
      };
    }
    if (err instanceof RangeError) return { problems: [problemAt(path, 1, 1, 'the YAML is nested too deeply to read; a template is a few levels deep', 'Too deeply nested')] };
    return { problems: [problemAt(path, 1, 1, `cannot read YAML: ${firstLine(message)}`, 'YAML error')] };
  }
  const file = lazySourceFile(path, text, data);
  // NUL is rare: look for it in the text first (YAML writes it as \0, \x00 or \u0000), walk only then.
  const nul = /\\(0|x00|u0000|U00000000)|\0/.test(text) ? nulPath(data) : undefined;
  if (nul)
    return {
      problems: [
        problemAtPath(file, nul.path, `${nul.path.length > 0 ? nul.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('') : 'the template'} contains a NUL character (\\0); remove it`, 'NUL character'),
      ],
    };
  return { file, problems: [] };
}

/**
 * A parsed file whose syntax tree (for positions in messages) is built again only when a message
 * needs it: a plan of thousands of valid templates keeps just their data, not thousands of trees.
 */
export function lazySourceFile(path: string, text: string, data: unknown): SourceFile {
  let tree: { doc: Document.Parsed; lineCounter: LineCounter } | undefined;
  const parsed = () => {
    if (!tree) {
      const lineCounter = new LineCounter();
      tree = { doc: parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true, merge: true }), lineCounter };
    }
    return tree;
  };
  return {
    path,
    text,
    data,
    get doc() {
      return parsed().doc;
    },
    get lineCounter() {
      return parsed().lineCounter;
    },
  };
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

/** The node at `path`, or the nearest existing ancestor. */
function nodeAt(file: SourceFile, path: readonly PathSegment[]): { node: Node | null; found: boolean } {
  let node: unknown = file.doc.contents;
  for (let i = 0; i < path.length; i++) {
    const next = isMap(node) || isSeq(node) ? (node.get(path[i], true) as unknown) : undefined;
    if (next === undefined || next === null) return { node: node as Node | null, found: false };
    node = next;
  }
  return { node: node as Node | null, found: true };
}

/**
 * Position of the value at `path`. With `key`, the position of the last segment's key
 * (for "unknown key" messages). Falls back to the nearest ancestor, then to 1:1.
 */
export function positionOf(file: SourceFile, path: readonly PathSegment[], key = false): Position {
  if (key && path.length > 0) {
    const parent = nodeAt(file, path.slice(0, -1));
    if (parent.found && isMap(parent.node)) {
      const last = path[path.length - 1];
      const pair = parent.node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === last);
      if (pair && isScalar(pair.key) && pair.key.range) return rangePos(file, pair.key.range);
    }
  }
  const { node } = nodeAt(file, path);
  if (node && node.range) return rangePos(file, node.range);
  return { line: 1, column: 1 };
}

function rangePos(file: SourceFile, range: [number, number, number?]): Position {
  const start = file.lineCounter.linePos(range[0]);
  const end = file.lineCounter.linePos(range[1]);
  return { line: start.line, column: start.col, endLine: end.line, endColumn: end.col };
}

/** A problem located at a path inside a parsed file. */
export function problemAtPath(file: SourceFile, path: readonly PathSegment[], message: string, title?: string, key = false): Problem {
  return { file: file.path, ...positionOf(file, path, key), message, title };
}
