// The value tree of a sops file: maps keep their order, leaves keep the sops type they are
// encrypted as and their text in sops' byte form (what goes into AES-GCM and the MAC).
import { Document, LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, Scalar, YAMLMap, YAMLSeq, type Node } from 'yaml';
import { UserError } from '../lib/errors.js';

export type LeafType = 'str' | 'int' | 'float' | 'bool';
export interface Leaf {
  readonly type: LeafType;
  /** The value as sops turns it into bytes: ints in decimal, floats like Go's %v without exponent, bools True/False. */
  readonly text: string;
}
export type Value = Leaf | null | Value[] | ValueMap;
export type ValueMap = Map<string, Value>;

export function isLeaf(v: Value): v is Leaf {
  return v !== null && !Array.isArray(v) && !(v instanceof Map);
}

export const str = (text: string): Leaf => ({ type: 'str', text });

/** Go's strconv.FormatFloat(f, 'f', -1, 64): the shortest digits that round-trip, never an exponent. */
export function goFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  if (Object.is(x, -0)) return '-0';
  const s = String(x);
  const m = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign, int, frac = '', expText] = m;
  const digits = int! + frac;
  const point = int!.length + Number(expText);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** A YAML boolean the way sops writes it into the MAC and the ciphertext. */
export function boolText(b: boolean): string {
  return b ? 'True' : 'False';
}

function where(path: readonly string[]): string {
  return path.length === 0 ? 'the document' : `'${path.join('.')}'`;
}

/** A YAML node as a value tree; anchors, aliases, tags and non-string keys are refused. */
function fromNode(node: Node | null, path: string[], source: string): Value {
  if (node === null) return null;
  if (isAlias(node)) throw new UserError(`${source}: YAML aliases are not supported in secrets (at ${where(path)}); write the value out`);
  if (isMap(node)) {
    const map: ValueMap = new Map();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? pair.key.value : undefined;
      if (typeof key !== 'string') throw new UserError(`${source}: keys must be strings (at ${where(path)}: ${String(isScalar(pair.key) ? pair.key.value : pair.key)}); quote the key`);
      if (map.has(key)) throw new UserError(`${source}: duplicate key '${[...path, key].join('.')}'`);
      map.set(key, fromNode(pair.value as Node | null, [...path, key], source));
    }
    return map;
  }
  if (isSeq(node)) return node.items.map((item) => fromNode(item as Node | null, path, source));
  if (isScalar(node)) {
    const v = node.value;
    if (v === null || v === undefined) return null;
    if (typeof v === 'string') return str(v);
    if (typeof v === 'boolean') return { type: 'bool', text: boolText(v) };
    if (typeof v === 'bigint') {
      if (v > 2n ** 63n - 1n || v < -(2n ** 63n)) throw new UserError(`${source}: integer at ${where(path)} does not fit in 64 bits; quote it to keep it as text`);
      return { type: 'int', text: v.toString() };
    }
    if (typeof v === 'number') return { type: 'float', text: goFloat(v) };
  }
  throw new UserError(`${source}: unsupported YAML value at ${where(path)}`);
}

/**
 * Parses one YAML document whose top level is a mapping into a value tree. `source` names the
 * input in messages; the text itself never appears in them (it may hold clear values).
 */
export function parseYamlTree(text: string, source: string): ValueMap {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { intAsBigInt: true, uniqueKeys: true, prettyErrors: false, lineCounter });
  const error = doc.errors[0];
  if (error) {
    const at = lineCounter.linePos(error.pos[0]);
    // The message names the problem and place only; the parser's context line could hold a value.
    throw new UserError(`${source}:${at.line}:${at.col}: YAML syntax error: ${error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`);
  }
  if (doc.contents === null) return new Map();
  if (!isMap(doc.contents)) throw new UserError(`${source}: the top level must be a mapping of keys to values`);
  return fromNode(doc.contents, [], source) as ValueMap;
}

/** The leaf's value as JavaScript would read it from YAML. */
function leafValue(leaf: Leaf): string | number | bigint | boolean {
  switch (leaf.type) {
    case 'str':
      return leaf.text;
    case 'int':
      return BigInt(leaf.text);
    case 'float':
      return leaf.text === '+Inf' ? Infinity : leaf.text === '-Inf' ? -Infinity : Number(leaf.text);
    case 'bool':
      return leaf.text === 'True';
  }
}

function toNode(doc: Document, value: Value): unknown {
  if (value === null) return doc.createNode(null);
  if (Array.isArray(value)) {
    const seq = new YAMLSeq();
    for (const item of value) seq.items.push(toNode(doc, item));
    return seq;
  }
  if (value instanceof Map) {
    const map = new YAMLMap();
    for (const [k, v] of value) map.items.push(doc.createPair(k, toNode(doc, v)));
    return map;
  }
  const scalar = new Scalar(leafValue(value));
  // A float that happens to be whole must read back as a float, not an int.
  if (value.type === 'float' && /^-?\d+$/.test(value.text)) scalar.minFractionDigits = 1;
  return scalar;
}

/** A value tree as a YAML document. */
export function treeDocument(tree: Value): Document {
  const doc = new Document();
  doc.contents = toNode(doc, tree) as Node;
  return doc;
}

/** A value tree as YAML text (one document, 2-space indent, long strings never folded). */
export function stringifyTree(tree: Value, header = ''): string {
  const doc = treeDocument(tree);
  if (header) doc.commentBefore = header;
  return doc.toString({ lineWidth: 0, indent: 2, blockQuote: 'literal' });
}

/** Every leaf with its key path (list items share their list's path, as in sops) and full position. */
export function* leaves(value: Value, path: string[] = [], position: (string | number)[] = []): Generator<{ leaf: Leaf | null; path: string[]; position: (string | number)[] }> {
  if (value instanceof Map) {
    for (const [k, v] of value) yield* leaves(v, [...path, k], [...position, k]);
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield* leaves(value[i]!, path, [...position, i]);
  } else {
    yield { leaf: value, path, position };
  }
}
