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

/** Rejects content that is not a text file before any parser sees it. */
export function checkTextContent(path: string, bytes: Buffer, limit = MAX_TEMPLATE_BYTES): Problem | undefined {
  if (bytes.length > limit) {
    return problemAt(path, 0, 0, `file is ${bytes.length} bytes; templates are limited to ${limit} bytes`, 'File too large');
  }
  const probe = bytes.subarray(0, 8192);
  if (probe.includes(0)) {
    return problemAt(path, 0, 0, 'binary file (contains NUL bytes); expected a UTF-8 YAML text file', 'Binary file');
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return problemAt(path, 0, 0, 'not valid UTF-8 text; save the file as UTF-8', 'Binary file');
  }
  return undefined;
}

function problemAt(file: string, line: number, column: number, message: string, title: string): Problem {
  return { file, line, column, message, title };
}

/** Parses one YAML document; syntax errors become problems with line and column. */
export function parseYamlFile(path: string, text: string): { file?: SourceFile; problems: Problem[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  const problems: Problem[] = [];
  for (const error of doc.errors) {
    const pos = lineCounter.linePos(error.pos[0]);
    // One syntax error tends to cascade into several at the same place: report the first.
    if (problems.some((p) => p.line === pos.line)) continue;
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
        problems: [
          problemAt(path, 1, 1, 'too many YAML alias expansions (possible alias bomb); write the values out instead of nesting aliases', 'Alias bomb'),
        ],
      };
    }
    return { problems: [problemAt(path, 1, 1, `cannot read YAML: ${firstLine(message)}`, 'YAML error')] };
  }
  return { file: { path, text, doc, lineCounter, data }, problems: [] };
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
