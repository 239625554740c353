// The secret files of a repo, `.coder/secrets/<name>.yaml`, and every change to them: create,
// set/unset keys, edit, update recipients, rotate the data key, verify. A file is decrypted and
// authenticated as a whole before anything is changed or shown; writes are atomic.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from '../lib/errors.js';
import type { AgeIdentity } from '../systems/age/age.js';
import { readRecipientsFile, RECIPIENTS_FILE } from './keys.js';
import { ageEntries, decryptFile, emitSopsFile, encryptTree, newDataKey, newMetadata, parseSopsFile, SOPS_KEY, type DecryptedFile, type SopsFile } from './sops.js';
import { isLeaf, leaves, stringifyTree, type Value, type ValueMap } from './tree.js';

export const SECRETS_DIR = join('.coder', 'secrets');
const NAME_RE = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;
/** Kubernetes Secret data keys. */
export const KEY_RE = /^[-._a-zA-Z0-9]+$/;

export interface SecretRef {
  name: string;
  /** Absolute path of the file. */
  path: string;
  /** `secret 'db' (.coder/secrets/db.yaml)`, for messages. */
  label: string;
}

export function checkSecretName(name: string): void {
  if (!NAME_RE.test(name)) {
    throw new UserError(`invalid secret name '${name}': use lower-case letters, digits, '-' and '.' (it names .coder/secrets/<name>.yaml and the Kubernetes Secret)`);
  }
}

export function checkKeyName(key: string): void {
  if (!KEY_RE.test(key) || key === SOPS_KEY) {
    throw new UserError(key === SOPS_KEY ? "'sops' is reserved for the sops metadata; choose another key name" : `invalid key name '${key}': use letters, digits, '-', '_' and '.' (Kubernetes Secret keys)`);
  }
}

/** The file of secret NAME under repo ROOT (`.yaml`, or an existing `.yml`). */
export function secretRef(root: string, name: string): SecretRef {
  checkSecretName(name);
  const yml = join(root, SECRETS_DIR, `${name}.yml`);
  const path = existsSync(yml) ? yml : join(root, SECRETS_DIR, `${name}.yaml`);
  return { name, path, label: `secret '${name}' (${join(SECRETS_DIR, path.endsWith('.yml') ? `${name}.yml` : `${name}.yaml`)})` };
}

/** Every secret file of the repo, by name. */
export function listSecrets(root: string): SecretRef[] {
  const dir = join(root, SECRETS_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f) && !f.startsWith('.'))
    .sort()
    .map((f) => {
      const name = f.replace(/\.ya?ml$/, '');
      return { name, path: join(dir, f), label: `secret '${name}' (${join(SECRETS_DIR, f)})` };
    });
}

export function readSecret(ref: SecretRef): SopsFile {
  let text: string;
  try {
    text = readFileSync(ref.path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UserError(`${ref.label} does not exist; create it with 'build-image secret create ${ref.name}'`);
    throw new UserError(`${ref.label}: cannot read: ${(err as Error).message}`);
  }
  return parseSopsFile(text, ref.label);
}

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode: 0o644 });
  chmodSync(tmp, 0o644);
  renameSync(tmp, path);
}

/** Recipients for a new file: the flags, else `.coder/secrets/.recipients`. */
export function defaultRecipients(root: string): string[] {
  const file = join(root, SECRETS_DIR, RECIPIENTS_FILE);
  return existsSync(file) ? readRecipientsFile(file) : [];
}

function checkTopLevel(plain: ValueMap, label: string): void {
  if (plain.size === 0) throw new UserError(`${label}: a secret needs at least one key`);
  for (const key of plain.keys()) checkKeyName(key);
}

/** Writes a new secret file; refuses to replace one. Returns the file's text. */
export function createSecret(ref: SecretRef, plain: ValueMap, recipients: readonly string[]): string {
  if (existsSync(ref.path)) throw new UserError(`${ref.label} exists already; change it with 'build-image secret set|unset|edit ${ref.name}'`);
  if (recipients.length === 0) {
    throw new UserError(`no recipients for ${ref.label}: pass --recipient age1... or --recipients-file F, or list the team's public keys in ${join(SECRETS_DIR, RECIPIENTS_FILE)}`);
  }
  checkTopLevel(plain, ref.label);
  const dataKey = newDataKey();
  const { tree, mac, lastmodified } = encryptTree({ plain, dataKey });
  const text = emitSopsFile(tree, { raw: newMetadata(), age: ageEntries(dataKey, recipients), lastmodified, mac });
  mkdirSync(dirname(ref.path), { recursive: true });
  writeAtomic(ref.path, text);
  return text;
}

export function decryptSecret(ref: SecretRef, identities: readonly AgeIdentity[]): DecryptedFile {
  return decryptFile(readSecret(ref), identities);
}

/** Top-level keys whose value differs between two trees (added, removed or changed). */
export function changedKeys(before: ValueMap, after: ValueMap): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((k) => !sameValue(before.get(k), after.get(k)));
}

function sameValue(a: Value | undefined, b: Value | undefined): boolean {
  if (a === undefined || b === undefined || a === null || b === null) return a === b;
  if (a instanceof Map || b instanceof Map) {
    if (!(a instanceof Map) || !(b instanceof Map) || a.size !== b.size) return false;
    const bKeys = [...b.keys()];
    return [...a.entries()].every(([k, v], i) => bKeys[i] === k && sameValue(v, b.get(k)));
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  }
  return isLeaf(a) && isLeaf(b) && a.type === b.type && a.text === b.text;
}

function rewrite(decrypted: DecryptedFile, plain: ValueMap, ref: SecretRef, options: { dataKey?: Buffer; recipients?: readonly string[] } = {}): void {
  const dataKey = options.dataKey ?? decrypted.dataKey;
  const { metadata } = decrypted.file;
  const { tree, mac, lastmodified } = encryptTree({ plain, dataKey, previous: decrypted, rules: metadata.rules });
  const recipients = options.recipients ?? metadata.age.map((e) => e.recipient);
  const keep = dataKey === decrypted.dataKey ? metadata.age : [];
  writeAtomic(ref.path, emitSopsFile(tree, { raw: metadata.raw, age: ageEntries(dataKey, recipients, keep), lastmodified, mac }));
}

/**
 * Decrypts, applies `change` to the clear tree and writes the file again when anything changed.
 * Values that did not change keep their ciphertext. Returns the top-level keys that changed.
 */
export function updateSecret(ref: SecretRef, identities: readonly AgeIdentity[], change: (plain: ValueMap) => ValueMap): string[] {
  const decrypted = decryptSecret(ref, identities);
  return writeChanges(ref, decrypted, change(new Map(decrypted.plain)));
}

/** Writes `plain` over a decrypted file when it differs; returns the top-level keys that changed. */
export function writeChanges(ref: SecretRef, decrypted: DecryptedFile, plain: ValueMap): string[] {
  checkTopLevel(plain, ref.label);
  const changed = changedKeys(decrypted.plain, plain);
  if (changed.length > 0) rewrite(decrypted, plain, ref);
  return changed;
}

/** Re-encrypts the data key to a new recipient list; values, MAC and lastmodified stay as they are. */
export function updateKeys(ref: SecretRef, identities: readonly AgeIdentity[], recipients: readonly string[]): { added: string[]; removed: string[] } {
  if (recipients.length === 0) throw new UserError(`no recipients for ${ref.label}: list the team's public keys in ${join(SECRETS_DIR, RECIPIENTS_FILE)}`);
  const decrypted = decryptSecret(ref, identities);
  const { metadata, tree } = decrypted.file;
  const before = metadata.age.map((e) => e.recipient);
  const added = recipients.filter((r) => !before.includes(r));
  const removed = before.filter((r) => !recipients.includes(r));
  if (added.length > 0 || removed.length > 0) {
    writeAtomic(ref.path, emitSopsFile(tree, { raw: metadata.raw, age: ageEntries(decrypted.dataKey, recipients, metadata.age), lastmodified: metadata.lastmodified, mac: metadata.mac }));
  }
  return { added, removed };
}

/** A new data key: every value, the MAC and the data key for each recipient are encrypted again. */
export function rotateSecret(ref: SecretRef, identities: readonly AgeIdentity[]): void {
  const decrypted = decryptSecret(ref, identities);
  const others = decrypted.file.metadata.otherKeySources;
  if (others.length > 0) {
    throw new UserError(`${ref.label}: the data key is also held by ${others.join(', ')} keys, which build-image cannot encrypt to; rotate it with 'sops rotate'`);
  }
  rewrite(decrypted, decrypted.plain, ref, { dataKey: newDataKey() });
}

export interface VerifyResult {
  ref: SecretRef;
  /** Undefined when the file decrypts and its MAC holds. */
  error?: string;
  keys?: number;
}

/** Decrypts every secret file of the repo (in memory only) and checks each value and MAC. */
export function verifySecrets(root: string, identities: readonly AgeIdentity[]): VerifyResult[] {
  return listSecrets(root).map((ref) => {
    try {
      const { plain } = decryptSecret(ref, identities);
      return { ref, keys: [...leaves(plain)].filter((l) => l.leaf !== null).length };
    } catch (err) {
      if (err instanceof UserError) return { ref, error: err.message };
      throw err;
    }
  });
}

/** The clear tree as YAML, or one key's value (a string as it is, anything else as YAML). */
export function formatPlain(plain: ValueMap, key?: string, label = 'secret'): string {
  if (key === undefined) return stringifyTree(plain);
  const value = plain.get(key);
  if (value === undefined) throw new UserError(`${label} has no key '${key}' (keys: ${[...plain.keys()].join(', ')})`);
  if (value === null) return '';
  if (isLeaf(value)) return value.type === 'bool' ? value.text.toLowerCase() : value.text;
  return stringifyTree(value);
}
