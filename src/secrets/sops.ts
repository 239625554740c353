// The sops v3 file format (YAML, age recipients), from the sops sources:
// - every value is `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`: AES-256-GCM under the file's
//   32-byte data key with a 32-byte random IV; the additional data is the value's key path
//   joined by ':' plus a trailing ':' (list items share their list's path), so a value moved to
//   another key fails to decrypt;
// - the `sops` block holds the data key encrypted to each age recipient (armoured age), the
//   `lastmodified` time and the MAC: SHA-512 over every value's clear bytes in file order, as
//   upper-case hex, itself encrypted with the data key and `lastmodified` as additional data;
// - keys ending in `unencrypted_suffix` (default `_unencrypted`) stay clear (but are in the MAC);
//   `encrypted_regex` and friends select what is encrypted in files sops wrote with them.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { isMap, isScalar, Scalar } from 'yaml';
import { UserError } from '../lib/errors.js';
import { ageDecrypt, ageEncrypt, AgeNoIdentityError, isRecipient, type AgeIdentity } from '../systems/age/age.js';
import { goFloat, isLeaf, parseYamlTree, str, treeDocument, type Leaf, type LeafType, type Value, type ValueMap } from './tree.js';

export const SOPS_KEY = 'sops';
/** The sops release whose file format we write (the format itself is "v3" since 2017). */
export const SOPS_VERSION = '3.9.0';
export const DEFAULT_UNENCRYPTED_SUFFIX = '_unencrypted';
const IV_BYTES = 32;
const TAG_BYTES = 16;
const ENC_RE = /^ENC\[AES256_GCM,data:([A-Za-z0-9+/]*={0,2}),iv:([A-Za-z0-9+/]+={0,2}),tag:([A-Za-z0-9+/]+={0,2}),type:([a-z]+)\]$/;
// sops' MACOnlyEncryptedInitialization: a MAC over only the encrypted values starts with these bytes.
const MAC_ONLY_ENCRYPTED_INIT = Buffer.from('8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69', 'hex');
const KEY_SOURCES = ['kms', 'gcp_kms', 'hckms', 'azure_kv', 'hc_vault', 'pgp'] as const;

/** A secret file failed authentication or could not be decrypted: exit 1, one line. */
export class SecretDecryptError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'SecretDecryptError';
  }
}

export interface EncryptionRules {
  unencryptedSuffix?: string;
  encryptedSuffix?: string;
  unencryptedRegex?: string;
  encryptedRegex?: string;
  macOnlyEncrypted: boolean;
}

export interface AgeEntry {
  recipient: string;
  enc: string;
}

export interface SopsMetadata {
  age: AgeEntry[];
  lastmodified: string;
  mac: string;
  version: string;
  rules: EncryptionRules;
  /** Other key sources (pgp, kms…) that hold the data key too; kept as they are. */
  otherKeySources: string[];
  /** The `sops` block as read, so fields we do not use are written back unchanged. */
  raw: ValueMap;
}

/** A sops file as stored: the values still encrypted. */
export interface SopsFile {
  /** For messages: `secret 'db' (.coder/secrets/db.yaml)`. */
  label: string;
  tree: ValueMap;
  metadata: SopsMetadata;
}

/** A decrypted file: the clear tree, the data key and each value's ciphertext, to keep what did not change. */
export interface DecryptedFile {
  file: SopsFile;
  plain: ValueMap;
  dataKey: Buffer;
  /** Position (JSON of the full path) -> the leaf it decrypted to and its ciphertext. */
  ciphertexts: Map<string, { leaf: Leaf; enc: string }>;
}

function metaString(meta: ValueMap, key: string, label: string, required = true): string | undefined {
  const v = meta.get(key);
  if (v === undefined || v === null) {
    if (required) throw new UserError(`${label}: the sops metadata has no '${key}'`);
    return undefined;
  }
  if (!isLeaf(v) || v.type !== 'str') throw new UserError(`${label}: sops.${key} must be a string`);
  return v.text;
}

function parseAgeEntries(value: Value | undefined, label: string): AgeEntry[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new UserError(`${label}: sops.age must be a list of {recipient, enc}`);
  return value.map((item, i) => {
    if (!(item instanceof Map)) throw new UserError(`${label}: sops.age[${i}] must be a mapping with recipient and enc`);
    const recipient = metaString(item, 'recipient', `${label}: sops.age[${i}]`)!;
    const enc = metaString(item, 'enc', `${label}: sops.age[${i}]`)!;
    return { recipient, enc };
  });
}

/** Reads the sops metadata; only its shape is checked here (no key needed). */
export function parseMetadata(meta: Value | undefined, label: string): SopsMetadata {
  if (meta === undefined) throw new UserError(`${label}: not a sops file (no 'sops' metadata block); write it with 'build-image secret create'`);
  if (!(meta instanceof Map)) throw new UserError(`${label}: the 'sops' metadata must be a mapping`);
  if (meta.has('key_groups')) throw new UserError(`${label}: sops key_groups (Shamir secret sharing) are not supported`);
  for (const rule of ['unencrypted_comment_regex', 'encrypted_comment_regex']) {
    if (meta.has(rule)) throw new UserError(`${label}: sops.${rule} is not supported`);
  }
  const macOnly = meta.get('mac_only_encrypted');
  const rules: EncryptionRules = {
    unencryptedSuffix: metaString(meta, 'unencrypted_suffix', label, false),
    encryptedSuffix: metaString(meta, 'encrypted_suffix', label, false),
    unencryptedRegex: metaString(meta, 'unencrypted_regex', label, false),
    encryptedRegex: metaString(meta, 'encrypted_regex', label, false),
    macOnlyEncrypted: macOnly !== undefined && macOnly !== null && isLeaf(macOnly) && macOnly.text === 'True',
  };
  const ruleCount = [rules.unencryptedSuffix, rules.encryptedSuffix, rules.unencryptedRegex, rules.encryptedRegex].filter((r) => r !== undefined).length;
  if (ruleCount > 1) throw new UserError(`${label}: sops allows only one of unencrypted_suffix, encrypted_suffix, unencrypted_regex, encrypted_regex`);
  if (ruleCount === 0) rules.unencryptedSuffix = DEFAULT_UNENCRYPTED_SUFFIX;
  const otherKeySources = KEY_SOURCES.filter((k) => {
    const v = meta.get(k);
    return Array.isArray(v) && v.length > 0;
  });
  return {
    age: parseAgeEntries(meta.get('age'), label),
    lastmodified: metaString(meta, 'lastmodified', label)!,
    mac: metaString(meta, 'mac', label)!,
    version: metaString(meta, 'version', label, false) ?? '',
    rules,
    otherKeySources: [...otherKeySources],
    raw: meta,
  };
}

/** Parses a sops YAML file; malformed files throw a UserError naming the file. */
export function parseSopsFile(text: string, label: string): SopsFile {
  const all = parseYamlTree(text, label);
  const metadata = parseMetadata(all.get(SOPS_KEY), label);
  const tree = new Map(all);
  tree.delete(SOPS_KEY);
  return { label, tree, metadata };
}

/** sops' shouldBeEncrypted for the key-path rules. */
export function shouldEncrypt(path: readonly string[], rules: EncryptionRules): boolean {
  let encrypted = true;
  if (rules.unencryptedSuffix && path.some((k) => k.endsWith(rules.unencryptedSuffix!))) encrypted = false;
  if (rules.encryptedSuffix) encrypted = path.some((k) => k.endsWith(rules.encryptedSuffix!));
  if (rules.unencryptedRegex && path.some((k) => new RegExp(rules.unencryptedRegex!).test(k))) encrypted = false;
  if (rules.encryptedRegex) encrypted = path.some((k) => new RegExp(rules.encryptedRegex!).test(k));
  return encrypted;
}

export function additionalData(path: readonly string[]): string {
  return `${path.join(':')}:`;
}

/** Encrypts one clear value; the empty string stays empty, as sops writes it. */
export function encryptValue(leaf: Leaf, key: Buffer, aad: string): string {
  if (leaf.type === 'str' && leaf.text === '') return '';
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const data = Buffer.concat([cipher.update(leaf.text, 'utf8'), cipher.final()]);
  return `ENC[AES256_GCM,data:${data.toString('base64')},iv:${iv.toString('base64')},tag:${cipher.getAuthTag().toString('base64')},type:${leaf.type}]`;
}

export interface EncryptedValue {
  data: Buffer;
  iv: Buffer;
  tag: Buffer;
  type: string;
}

export function parseEncryptedValue(text: string): EncryptedValue | undefined {
  const m = ENC_RE.exec(text);
  if (!m) return undefined;
  return { data: Buffer.from(m[1]!, 'base64'), iv: Buffer.from(m[2]!, 'base64'), tag: Buffer.from(m[3]!, 'base64'), type: m[4]! };
}

const TYPES: readonly string[] = ['str', 'int', 'float', 'bool'] satisfies LeafType[];

/** Decrypts one value; undefined when it fails authentication (changed, or moved from another key or file). */
export function decryptValue(text: string, key: Buffer, aad: string): Leaf | undefined | 'unsupported-type' {
  const enc = parseEncryptedValue(text);
  if (!enc || enc.tag.length !== TAG_BYTES || enc.iv.length === 0) return undefined;
  if (!TYPES.includes(enc.type)) return 'unsupported-type';
  let clear: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, enc.iv);
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(enc.tag);
    clear = Buffer.concat([decipher.update(enc.data), decipher.final()]);
  } catch {
    return undefined;
  }
  const text8 = clear.toString('utf8');
  return normaliseLeaf(enc.type as LeafType, text8);
}

/** The leaf as sops would re-encode it after reading (Go parses the type from the text). */
function normaliseLeaf(type: LeafType, text: string): Leaf | undefined {
  switch (type) {
    case 'str':
      return str(text);
    case 'int':
      return /^[+-]?\d+$/.test(text) ? { type, text: BigInt(text).toString() } : undefined;
    case 'float': {
      const n = text === '+Inf' || text === 'Inf' ? Infinity : text === '-Inf' ? -Infinity : Number(text);
      return text.trim() === '' || (Number.isNaN(n) && text !== 'NaN') ? undefined : { type, text: goFloat(n) };
    }
    case 'bool': {
      // Go's strconv.ParseBool.
      if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return { type, text: 'True' };
      if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return { type, text: 'False' };
      return undefined;
    }
  }
}

/** The key path and list position of a value, for messages: `db.hosts[1]`. */
export function describePosition(position: readonly (string | number)[]): string {
  return position.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('') || '(top level)';
}

function positionKey(position: readonly (string | number)[]): string {
  return JSON.stringify(position);
}

class MacHash {
  private readonly hash = createHash('sha512');
  constructor(macOnlyEncrypted: boolean) {
    if (macOnlyEncrypted) this.hash.update(MAC_ONLY_ENCRYPTED_INIT);
  }
  add(leaf: Leaf): void {
    this.hash.update(leaf.text, 'utf8');
  }
  hex(): string {
    return this.hash.digest('hex').toUpperCase();
  }
}

/** The stored MAC's clear text, or a one-line error. */
function decryptMac(file: SopsFile, dataKey: Buffer): string {
  const { mac, lastmodified } = file.metadata;
  if (mac === '') throw new SecretDecryptError(`${file.label}: the file has no MAC; it cannot be authenticated`);
  const clear = decryptValue(mac, dataKey, canonicalTime(lastmodified));
  if (!clear || clear === 'unsupported-type' || clear.type !== 'str') {
    throw new SecretDecryptError(`${file.label}: the MAC fails authentication: 'lastmodified' or the MAC was changed, or the data key does not belong to this file`);
  }
  return clear.text;
}

/** sops parses lastmodified and formats it again (Go's RFC 3339: no fractional seconds). */
function canonicalTime(text: string): string {
  return text.replace(/^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.\d+/, '$1');
}

/**
 * A copy of the tree with every leaf replaced, in document order (the order the MAC is taken
 * in). `path` holds the map keys down to the leaf (list items add none: sops binds a list item
 * to its key), `position` the keys and list indexes, for messages.
 */
function mapLeaves(tree: ValueMap, leaf: (value: Leaf, path: string[], position: (string | number)[]) => Value): ValueMap {
  const walk = (value: Value, path: string[], position: (string | number)[]): Value => {
    if (value instanceof Map) {
      const out: ValueMap = new Map();
      for (const [k, v] of value) out.set(k, walk(v, [...path, k], [...position, k]));
      return out;
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, path, [...position, i]));
    if (value === null) return null;
    return leaf(value, path, position);
  };
  return walk(tree, [], []) as ValueMap;
}

/** Decrypts every value with the data key and checks the MAC. Nothing clear leaves unless all of it holds. */
export function decryptTree(file: SopsFile, dataKey: Buffer): DecryptedFile {
  const { rules } = file.metadata;
  const mac = new MacHash(rules.macOnlyEncrypted);
  const ciphertexts = new Map<string, { leaf: Leaf; enc: string }>();
  const plain = mapLeaves(file.tree, (value, path, position) => {
    const encrypted = shouldEncrypt(path, rules);
    let leaf: Leaf = value;
    if (encrypted) {
      if (value.type !== 'str') throw new SecretDecryptError(`${file.label}: value at '${describePosition(position)}' is not encrypted (a clear value was added to the file)`);
      if (value.text !== '') {
        const clear = decryptValue(value.text, dataKey, additionalData(path));
        if (clear === 'unsupported-type') throw new SecretDecryptError(`${file.label}: value at '${describePosition(position)}' has a type build-image does not read (${parseEncryptedValue(value.text)!.type})`);
        if (!clear) {
          const why = parseEncryptedValue(value.text) ? 'it was changed, or moved here from another key or file' : 'it is not an ENC[AES256_GCM,...] value (a clear value was added or a value was edited by hand)';
          throw new SecretDecryptError(`${file.label}: value at '${describePosition(position)}' fails authentication: ${why}`);
        }
        leaf = clear;
        ciphertexts.set(positionKey(position), { leaf, enc: value.text });
      }
    }
    if (!rules.macOnlyEncrypted || encrypted) mac.add(leaf);
    return leaf;
  });
  const stored = decryptMac(file, dataKey);
  if (stored !== mac.hex()) {
    throw new SecretDecryptError(`${file.label}: MAC mismatch: values were added, removed, reordered or swapped since the file was written`);
  }
  return { file, plain, dataKey, ciphertexts };
}

function identitiesText(identities: readonly AgeIdentity[]): string {
  const list = [...new Set(identities.map((i) => i.recipient))];
  return list.length === 1 ? `your identity is ${list[0]}` : `your identities are ${list.join(', ')}`;
}

/** The data key, from the first age entry one of the identities opens. */
export function decryptDataKey(file: SopsFile, identities: readonly AgeIdentity[]): Buffer {
  const { age, otherKeySources } = file.metadata;
  if (identities.length === 0) throw new SecretDecryptError(`${file.label}: no age identity given; set SOPS_AGE_KEY_FILE or SOPS_AGE_KEY, or pass --identity`);
  if (age.length === 0) {
    const others = otherKeySources.length > 0 ? ` (only ${otherKeySources.join(', ')}, which build-image does not use)` : '';
    throw new SecretDecryptError(`${file.label}: the file has no age recipients${others}`);
  }
  const ours = new Set(identities.map((i) => i.recipient));
  const named = age.filter((e) => ours.has(e.recipient.trim()));
  // Entries naming one of our keys first, then the rest: a recipient line may have been edited.
  let corrupt: string | undefined;
  for (const entry of [...named, ...age.filter((e) => !named.includes(e))]) {
    try {
      const key = ageDecrypt(entry.enc, identities);
      if (key.length === 32) return key;
      corrupt ??= `${file.label}: the data key encrypted to ${entry.recipient} is corrupt (${key.length} bytes, not 32)`;
    } catch (err) {
      if (named.includes(entry)) {
        const detail = err instanceof AgeNoIdentityError ? 'it does not open with your identity' : (err as Error).message;
        corrupt ??= `${file.label}: the data key encrypted to ${entry.recipient} is corrupt: ${detail}`;
      }
    }
  }
  if (corrupt) throw new SecretDecryptError(corrupt);
  throw new SecretDecryptError(`${file.label}: encrypted to ${age.map((e) => e.recipient.trim()).join(', ')}; ${identitiesText(identities)}`);
}

/** Data key, every value and the MAC: the whole file or an error. */
export function decryptFile(file: SopsFile, identities: readonly AgeIdentity[]): DecryptedFile {
  return decryptTree(file, decryptDataKey(file, identities));
}

export interface EncryptOptions {
  plain: ValueMap;
  dataKey: Buffer;
  /** The file this replaces, decrypted with the same data key: values that did not change keep their ciphertext. */
  previous?: DecryptedFile;
  rules?: EncryptionRules;
  now?: Date;
}

/** Encrypts a clear tree: returns the stored tree, the encrypted MAC and its lastmodified. */
export function encryptTree(options: EncryptOptions): { tree: ValueMap; mac: string; lastmodified: string } {
  const rules = options.rules ?? { unencryptedSuffix: DEFAULT_UNENCRYPTED_SUFFIX, macOnlyEncrypted: false };
  const reuse = options.previous && options.previous.dataKey.equals(options.dataKey) ? options.previous.ciphertexts : undefined;
  const mac = new MacHash(rules.macOnlyEncrypted);
  const tree = mapLeaves(options.plain, (value, path, position) => {
    const encrypted = shouldEncrypt(path, rules);
    if (!rules.macOnlyEncrypted || encrypted) mac.add(value);
    if (!encrypted) return value;
    const before = reuse?.get(positionKey(position));
    if (before && before.leaf.type === value.type && before.leaf.text === value.text) return str(before.enc);
    return str(encryptValue(value, options.dataKey, additionalData(path)));
  });
  const lastmodified = (options.now ?? new Date()).toISOString().replace(/\.\d+Z$/, 'Z');
  return { tree, mac: encryptValue(str(mac.hex()), options.dataKey, lastmodified), lastmodified };
}

/** The data key encrypted to each recipient; entries for recipients that stay keep their ciphertext. */
export function ageEntries(dataKey: Buffer, recipients: readonly string[], keep: readonly AgeEntry[] = []): AgeEntry[] {
  const seen = new Set<string>();
  const entries: AgeEntry[] = [];
  for (const recipient of recipients) {
    if (seen.has(recipient)) continue;
    seen.add(recipient);
    const existing = keep.find((e) => e.recipient === recipient);
    entries.push(existing ?? { recipient, enc: ageEncrypt(dataKey, [recipient]) as string });
  }
  return entries;
}

export function newDataKey(): Buffer {
  return randomBytes(32);
}

export function newMetadata(): ValueMap {
  return new Map<string, Value>([
    ['age', []],
    ['lastmodified', str('')],
    ['mac', str('')],
    ['unencrypted_suffix', str(DEFAULT_UNENCRYPTED_SUFFIX)],
    ['version', str(SOPS_VERSION)],
  ]);
}

/** The stored file as YAML text: the encrypted tree, then the `sops` block. */
export function emitSopsFile(tree: ValueMap, metadata: { raw: ValueMap; age: AgeEntry[]; lastmodified: string; mac: string }): string {
  const meta: ValueMap = new Map(metadata.raw);
  meta.set(
    'age',
    metadata.age.map(
      (e) =>
        new Map<string, Value>([
          ['recipient', str(e.recipient)],
          ['enc', str(e.enc)],
        ]),
    ),
  );
  meta.set('lastmodified', str(metadata.lastmodified));
  meta.set('mac', str(metadata.mac));
  const doc = treeDocument(new Map([...tree, [SOPS_KEY, meta]]));
  // sops writes the time quoted; YAML 1.1 readers would otherwise take it for a timestamp.
  const sopsNode = (doc.contents as unknown as { get(k: string, keep: true): unknown }).get(SOPS_KEY, true);
  if (isMap(sopsNode)) {
    const lm = sopsNode.get('lastmodified', true);
    if (isScalar(lm)) lm.type = Scalar.QUOTE_DOUBLE;
  }
  return doc.toString({ lineWidth: 0, indent: 4, blockQuote: 'literal' });
}

/** Checks the metadata a reader needs without any key: valid age recipients, a MAC, a data key per recipient. */
export function metadataProblems(metadata: SopsMetadata): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  if (metadata.age.length === 0) problems.push({ path: ['sops', 'age'], message: 'the file has no age recipients; nobody can decrypt it with an age key' });
  metadata.age.forEach((e, i) => {
    if (!isRecipient(e.recipient)) problems.push({ path: ['sops', 'age', i, 'recipient'], message: `not a valid age recipient: '${e.recipient}'` });
    if (!/^\s*-----BEGIN AGE ENCRYPTED FILE-----[\s\S]*-----END AGE ENCRYPTED FILE-----\s*$/.test(e.enc)) {
      problems.push({ path: ['sops', 'age', i, 'enc'], message: `the data key for ${e.recipient} is not an armoured age file` });
    }
  });
  if (!parseEncryptedValue(metadata.mac)) problems.push({ path: ['sops', 'mac'], message: 'the MAC is missing or not an ENC[AES256_GCM,...] value; the file cannot be authenticated' });
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(metadata.lastmodified)) {
    problems.push({ path: ['sops', 'lastmodified'], message: `lastmodified is not an RFC 3339 time: '${metadata.lastmodified}'` });
  }
  return problems;
}
