// A self-signed X.509 certificate made with node:crypto alone (Node can sign but has no
// certificate builder): a minimal DER encoder for the TBSCertificate, signed with RSA-SHA256.
// Used for the token server's signing key (the registry's rootcertbundle) and TLS test servers.
import { createSign, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  while (n > 0) {
    bytes.unshift(n & 0xff);
    n >>= 8;
  }
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const tlv = (tag: number, content: Buffer): Buffer => Buffer.concat([Buffer.from([tag]), length(content.length), content]);
const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const integer = (bytes: Buffer): Buffer => tlv(0x02, bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));
const nul = (): Buffer => Buffer.from([0x05, 0x00]);
const bitString = (bytes: Buffer): Buffer => tlv(0x03, Buffer.concat([Buffer.from([0]), bytes]));
const octetString = (bytes: Buffer): Buffer => tlv(0x04, bytes);
const explicit = (n: number, content: Buffer): Buffer => tlv(0xa0 + n, content);

function oid(text: string): Buffer {
  const parts = text.split('.').map(Number);
  const bytes: number[] = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const stack: number[] = [p & 0x7f];
    let v = p >> 7;
    while (v > 0) {
      stack.unshift((v & 0x7f) | 0x80);
      v >>= 7;
    }
    bytes.push(...stack);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function utcTime(date: Date): Buffer {
  const s = date.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
  return tlv(0x17, Buffer.from(s, 'ascii'));
}

const name = (cn: string): Buffer => seq(set(seq(oid('2.5.4.3'), utf8(cn))));

export interface SelfSignedCertificate {
  certPem: string;
  certDer: Buffer;
  keyPem: string;
  privateKey: KeyObject;
}

/** A self-signed RSA certificate for `commonName`, valid for a day, with SANs for loopback. */
export function selfSignedCertificate(commonName = 'build-image-test'): SelfSignedCertificate {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const sha256WithRsa = seq(oid('1.2.840.113549.1.1.11'), nul());
  const now = Date.now();
  const san = seq(oid('2.5.29.17'), octetString(seq(tlv(0x82, Buffer.from('localhost')), tlv(0x87, Buffer.from([127, 0, 0, 1])))));
  const basicConstraints = seq(oid('2.5.29.19'), tlv(0x01, Buffer.from([0xff])), octetString(seq(tlv(0x01, Buffer.from([0xff])))));
  const keyUsage = seq(oid('2.5.29.15'), octetString(bitString(Buffer.from([0x86]))));
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(Buffer.concat([Buffer.from([0x01]), randomBytes(15)])),
    sha256WithRsa,
    name(commonName),
    seq(utcTime(new Date(now - 3600_000)), utcTime(new Date(now + 86400_000))),
    name(commonName),
    spki,
    tlv(0xa3, seq(basicConstraints, keyUsage, san)),
  );
  const signature = createSign('sha256').update(tbs).sign(privateKey);
  const certDer = seq(tbs, sha256WithRsa, bitString(signature));
  const certPem = `-----BEGIN CERTIFICATE-----\n${certDer
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n')}\n-----END CERTIFICATE-----\n`;
  return { certPem, certDer, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), privateKey };
}
