// Where keys come from, by the sops conventions: identities from --identity, else SOPS_AGE_KEY,
// SOPS_AGE_KEY_FILE and the user's sops key file; recipients from flags, a recipients file, or
// `.coder/secrets/.recipients`.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../lib/errors.js';
import { parseIdentityFile, parseRecipient, type AgeIdentity } from '../systems/age/age.js';

export const RECIPIENTS_FILE = '.recipients';

export interface IdentitySources {
  /** `--identity F`: when given, the only source. */
  identityFile?: string;
  env?: NodeJS.ProcessEnv;
}

/** The user's sops age key file (`$XDG_CONFIG_HOME/sops/age/keys.txt`, default `~/.config/...`). */
export function defaultKeyFile(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'sops', 'age', 'keys.txt');
}

function readKeyFile(path: string, what: string): { text: string; source: string } {
  try {
    return { text: readFileSync(path, 'utf8'), source: path };
  } catch (err) {
    throw new UserError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

/** The text of every key file the sources name, in order (an age key file's text each). */
export function identityTexts(sources: IdentitySources = {}): { text: string; source: string }[] {
  const env = sources.env ?? process.env;
  if (sources.identityFile) return [readKeyFile(sources.identityFile, 'identity file')];
  const texts: { text: string; source: string }[] = [];
  if (env.SOPS_AGE_KEY?.trim()) texts.push({ text: env.SOPS_AGE_KEY, source: 'SOPS_AGE_KEY' });
  if (env.SOPS_AGE_KEY_FILE) texts.push(readKeyFile(env.SOPS_AGE_KEY_FILE, 'SOPS_AGE_KEY_FILE'));
  const fallback = defaultKeyFile(env);
  if (texts.length === 0 && existsSync(fallback)) texts.push(readKeyFile(fallback, 'age key file'));
  return texts;
}

/** Every identity the sources give; empty when there are none (decryption then says how to give one). */
export function loadIdentities(sources: IdentitySources = {}): AgeIdentity[] {
  return identityTexts(sources).flatMap(({ text, source }) => parseIdentityFile(text, source));
}

/** Recipients, one per line; `#` comments and blank lines are skipped; each line is checked. */
export function parseRecipientsText(text: string, source: string): string[] {
  const recipients: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const trimmed = line.replace(/#.*$/, '').trim();
    if (trimmed === '') return;
    try {
      parseRecipient(trimmed);
    } catch (err) {
      throw new UserError(`${source}:${i + 1}: ${(err as Error).message}`);
    }
    if (!recipients.includes(trimmed)) recipients.push(trimmed);
  });
  return recipients;
}

export function readRecipientsFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read recipients file ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  return parseRecipientsText(text, path);
}

/** Checks `--recipient` values; returns them without duplicates. */
export function checkRecipients(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    parseRecipient(v);
    if (!out.includes(v.trim())) out.push(v.trim());
  }
  return out;
}
