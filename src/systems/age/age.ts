// age (age-encryption.org/v1) with X25519 recipients, on Node's own crypto: X25519, HKDF-SHA256,
// HMAC-SHA256 and ChaCha20-Poly1305. Enough of the format for sops data keys and for files the
// `age` CLI writes and reads (armoured or binary). No passphrase, ssh or plugin recipients.
import { createCipheriv, createDecipheriv, createHmac, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { UserError } from '../../lib/errors.js';
import { bech32Decode, bech32Encode } from './bech32.js';

const VERSION_LINE = 'age-encryption.org/v1';
const X25519_INFO = 'age-encryption.org/v1/X25519';
const CHUNK = 64 * 1024;
const TAG = 16;
const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';
const ARMOR_END = '-----END AGE ENCRYPTED FILE-----';
// DER wrappers that turn 32 raw bytes into keys Node's crypto takes.
const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_X25519 = Buffer.from('302a300506032b656e032100', 'hex');

/** The identity's secret scalar and the recipient (`age1...`) it decrypts for. */
export interface AgeIdentity {
  readonly recipient: string;
  readonly key: KeyObject;
}

/** Not a valid age file, or it fails authentication: changed, truncated or for another key. */
export class AgeDecryptError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'AgeDecryptError';
  }
}

/** None of the identities is among the file's recipients. */
export class AgeNoIdentityError extends AgeDecryptError {
  constructor(message: string) {
    super(message);
    this.name = 'AgeNoIdentityError';
  }
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/=+$/, '');
}

/** Canonical unpadded base64 only, as the age spec demands. */
function unb64(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]*$/.test(text) || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return b64(bytes) === text ? bytes : undefined;
}

function publicKeyOf(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_X25519, raw]), format: 'der', type: 'spki' });
}

function rawPublic(key: KeyObject): Buffer {
  return (key.export({ format: 'der', type: 'spki' }) as Buffer).subarray(SPKI_X25519.length);
}

function hkdf(ikm: Uint8Array, salt: Uint8Array, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, 32));
}

function seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Buffer {
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
}

function open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Buffer | undefined {
  if (sealed.length < TAG) return undefined;
  try {
    const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
    d.setAuthTag(sealed.subarray(sealed.length - TAG));
    return Buffer.concat([d.update(sealed.subarray(0, sealed.length - TAG)), d.final()]);
  } catch {
    return undefined;
  }
}

function x25519(privateKey: KeyObject, peer: Uint8Array): Buffer | undefined {
  try {
    const shared = diffieHellman({ privateKey, publicKey: publicKeyOf(peer) });
    // A low-order peer point gives all zeros: age rejects it.
    return shared.every((b) => b === 0) ? undefined : shared;
  } catch {
    return undefined;
  }
}

/** The 32 bytes of an `age1...` recipient; throws a UserError naming what is wrong. */
export function parseRecipient(text: string): Buffer {
  const trimmed = text.trim();
  if (trimmed.startsWith('ssh-')) throw new UserError(`ssh recipients are not supported, only age X25519 recipients (age1...): ${trimmed.slice(0, 20)}...`);
  if (/^age1pq1/.test(trimmed)) throw new UserError('post-quantum age recipients (age1pq1...) are not supported, only age X25519 recipients (age1...)');
  const decoded = bech32Decode(trimmed);
  if (!decoded || decoded.hrp !== 'age' || trimmed !== trimmed.toLowerCase()) {
    if (/^age1[a-z0-9]+1/.test(trimmed)) throw new UserError(`age plugin recipients are not supported: ${trimmed.slice(0, 24)}...`);
    throw new UserError(`not a valid age recipient: '${trimmed.length > 70 ? trimmed.slice(0, 70) + '...' : trimmed}' (expected age1 followed by 58 characters)`);
  }
  if (decoded.data.length !== 32) throw new UserError(`not a valid age recipient: '${trimmed}' (wrong key length)`);
  return Buffer.from(decoded.data);
}

export function isRecipient(text: string): boolean {
  try {
    parseRecipient(text);
    return true;
  } catch {
    return false;
  }
}

/** One `AGE-SECRET-KEY-1...` line as an identity. The message never repeats the key itself. */
export function parseIdentity(text: string): AgeIdentity {
  const trimmed = text.trim();
  if (trimmed.startsWith('AGE-SECRET-KEY-PQ-1')) throw new UserError('post-quantum age identities (AGE-SECRET-KEY-PQ-1...) are not supported');
  if (trimmed.startsWith('AGE-PLUGIN-')) throw new UserError('age plugin identities are not supported');
  const decoded = bech32Decode(trimmed);
  if (!decoded || decoded.hrp !== 'age-secret-key-' || trimmed !== trimmed.toUpperCase() || decoded.data.length !== 32) {
    throw new UserError('not a valid age identity (expected a line AGE-SECRET-KEY-1... as age-keygen writes it)');
  }
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_X25519, decoded.data]), format: 'der', type: 'pkcs8' });
  return { key, recipient: bech32Encode('age', rawPublic(createPublicKey(key))) };
}

/** Every identity in an age key file (`# comments`, blank lines and `AGE-SECRET-KEY-1...` lines). */
export function parseIdentityFile(text: string, source: string): AgeIdentity[] {
  const identities: AgeIdentity[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    try {
      identities.push(parseIdentity(trimmed));
    } catch (err) {
      throw new UserError(`${source}:${i + 1}: ${(err as Error).message}`);
    }
  });
  if (identities.length === 0) throw new UserError(`${source}: no age identity in it (expected a line AGE-SECRET-KEY-1...)`);
  return identities;
}

/** A new identity, as `age-keygen` makes one. */
export function generateIdentity(): { identity: string; recipient: string } {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  const raw = (privateKey.export({ format: 'der', type: 'pkcs8' }) as Buffer).subarray(PKCS8_X25519.length);
  return { identity: bech32Encode('age-secret-key-', raw).toUpperCase(), recipient: bech32Encode('age', rawPublic(publicKey)) };
}

function wrapBody(body: string): string {
  const lines: string[] = [];
  for (let i = 0; i < body.length; i += 64) lines.push(body.slice(i, i + 64));
  // The last line of a stanza body is always shorter than 64 columns, so it may be empty.
  if (body.length % 64 === 0) lines.push('');
  return lines.join('\n');
}

/** Encrypts to every recipient; armoured (PEM-like text, as sops stores data keys) by default. */
export function ageEncrypt(plaintext: Uint8Array, recipients: readonly string[], options: { armor?: boolean } = {}): string | Buffer {
  if (recipients.length === 0) throw new UserError('age: no recipients to encrypt to');
  const fileKey = randomBytes(16);
  let header = `${VERSION_LINE}\n`;
  for (const recipient of recipients) {
    const theirs = parseRecipient(recipient);
    const ephemeral = generateKeyPairSync('x25519');
    const share = rawPublic(ephemeral.publicKey);
    const shared = x25519(ephemeral.privateKey, theirs);
    if (!shared) throw new UserError(`age: recipient ${recipient} is not a usable X25519 key`);
    const wrapKey = hkdf(shared, Buffer.concat([share, theirs]), X25519_INFO);
    const body = seal(wrapKey, Buffer.alloc(12), fileKey);
    header += `-> X25519 ${b64(share)}\n${wrapBody(b64(body))}\n`;
  }
  header += '---';
  const mac = createHmac('sha256', hkdf(fileKey, Buffer.alloc(0), 'header'))
    .update(header)
    .digest();
  header += ` ${b64(mac)}\n`;
  const nonce = randomBytes(16);
  const payloadKey = hkdf(fileKey, nonce, 'payload');
  const chunks: Buffer[] = [Buffer.from(header), nonce];
  let counter = 0n;
  for (let offset = 0; ; offset += CHUNK) {
    const last = offset + CHUNK >= plaintext.length;
    chunks.push(seal(payloadKey, chunkNonce(counter++, last), plaintext.subarray(offset, offset + CHUNK)));
    if (last) break;
  }
  const binary = Buffer.concat(chunks);
  if (options.armor === false) return binary;
  const text = binary.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += 64) lines.push(text.slice(i, i + 64));
  return `${ARMOR_BEGIN}\n${lines.join('\n')}\n${ARMOR_END}\n`;
}

function chunkNonce(counter: bigint, last: boolean): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64BE(counter, 3);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

function dearmor(text: string): Buffer {
  const trimmed = text.trim();
  if (!trimmed.startsWith(ARMOR_BEGIN) || !trimmed.endsWith(ARMOR_END)) throw new AgeDecryptError('not an armoured age file (missing BEGIN/END AGE ENCRYPTED FILE lines)');
  const body = trimmed
    .slice(ARMOR_BEGIN.length, trimmed.length - ARMOR_END.length)
    .replace(/\r/g, '')
    .trim();
  const lines = body === '' ? [] : body.split('\n');
  if (lines.some((l, i) => l.length > 64 || (i < lines.length - 1 && l.length !== 64)) || !/^[A-Za-z0-9+/=\n]*$/.test(body)) {
    throw new AgeDecryptError('armoured age file is malformed (bad base64 lines)');
  }
  const joined = lines.join('');
  const bytes = Buffer.from(joined, 'base64');
  if (bytes.toString('base64') !== joined) throw new AgeDecryptError('armoured age file is malformed (bad base64)');
  return bytes;
}

interface Stanza {
  type: string;
  args: string[];
  body: Buffer;
}

function parseHeader(data: Buffer): { stanzas: Stanza[]; macInput: Buffer; mac: Buffer; payload: Buffer } {
  let pos = 0;
  const line = (): string => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) throw new AgeDecryptError('age header is truncated');
    const text = data.subarray(pos, end).toString('latin1');
    pos = end + 1;
    return text;
  };
  if (line() !== VERSION_LINE) throw new AgeDecryptError(`not an age file (the first line is not ${VERSION_LINE})`);
  const stanzas: Stanza[] = [];
  for (;;) {
    const start = pos;
    const text = line();
    if (text.startsWith('--- ')) {
      const mac = unb64(text.slice(4));
      if (!mac || mac.length !== 32) throw new AgeDecryptError('age header MAC is malformed');
      return { stanzas, macInput: data.subarray(0, start + 3), mac, payload: data.subarray(pos) };
    }
    if (!text.startsWith('-> ')) throw new AgeDecryptError('age header is malformed');
    const [type, ...args] = text.slice(3).split(' ');
    if (!type || args.some((a) => a === '')) throw new AgeDecryptError('age header has a malformed stanza');
    let body = '';
    for (;;) {
      const chunk = line();
      if (chunk.length > 64 || !/^[A-Za-z0-9+/]*$/.test(chunk)) throw new AgeDecryptError('age header has a malformed stanza body');
      body += chunk;
      if (chunk.length < 64) break;
    }
    const bytes = unb64(body);
    if (!bytes) throw new AgeDecryptError('age header has a malformed stanza body');
    stanzas.push({ type, args, body: bytes });
  }
}

/**
 * Decrypts with the first identity that unwraps a stanza. Throws AgeNoIdentityError when none
 * does, AgeDecryptError when the file is malformed or fails authentication.
 */
export function ageDecrypt(data: string | Buffer, identities: readonly AgeIdentity[]): Buffer {
  const bytes = typeof data === 'string' || data.subarray(0, ARMOR_BEGIN.length).toString() === ARMOR_BEGIN ? dearmor(data.toString()) : data;
  const { stanzas, macInput, mac, payload } = parseHeader(bytes);
  let fileKey: Buffer | undefined;
  for (const identity of identities) {
    const ours = parseRecipient(identity.recipient);
    for (const s of stanzas) {
      if (s.type !== 'X25519') continue;
      const share = s.args.length === 1 ? unb64(s.args[0]!) : undefined;
      if (!share || share.length !== 32 || s.body.length !== 32) throw new AgeDecryptError('age header has a malformed X25519 stanza');
      const shared = x25519(identity.key, share);
      if (!shared) continue;
      fileKey = open(hkdf(shared, Buffer.concat([share, ours]), X25519_INFO), Buffer.alloc(12), s.body);
      if (fileKey) break;
    }
    if (fileKey) break;
  }
  if (!fileKey) throw new AgeNoIdentityError(`no identity matched any of the file's ${stanzas.length} recipient(s)`);
  const expected = createHmac('sha256', hkdf(fileKey, Buffer.alloc(0), 'header'))
    .update(macInput)
    .digest();
  if (!timingSafeEqual(expected, mac)) throw new AgeDecryptError('age header fails authentication (the file was changed)');
  if (payload.length < 16 + TAG) throw new AgeDecryptError('age payload is truncated');
  const payloadKey = hkdf(fileKey, payload.subarray(0, 16), 'payload');
  const sealed = payload.subarray(16);
  const out: Buffer[] = [];
  let counter = 0n;
  for (let offset = 0; offset < sealed.length; offset += CHUNK + TAG) {
    const last = offset + CHUNK + TAG >= sealed.length;
    const chunk = open(payloadKey, chunkNonce(counter++, last), sealed.subarray(offset, offset + CHUNK + TAG));
    if (!chunk) throw new AgeDecryptError('age payload fails authentication (the file was changed or truncated)');
    if (last && chunk.length === 0 && offset > 0) throw new AgeDecryptError('age payload ends with an empty chunk');
    out.push(chunk);
  }
  return Buffer.concat(out);
}
