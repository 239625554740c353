// `secret edit`: the clear values go to a file only the user can read (0600, in a 0700 folder,
// in memory under /dev/shm where there is one), the editor runs, and the folder is removed
// whatever happens. The file is authenticated before anything is written out.
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../lib/errors.js';
import type { AgeIdentity } from '../systems/age/age.js';
import { decryptSecret, writeChanges, type SecretRef } from './store.js';
import { parseYamlTree, stringifyTree } from './tree.js';

function tempBase(): string {
  try {
    if (existsSync('/dev/shm')) {
      accessSync('/dev/shm', constants.W_OK);
      return '/dev/shm';
    }
  } catch {
    // not writable: fall back to the usual temp folder
  }
  return tmpdir();
}

/**
 * Opens the decrypted secret in an editor (`runEditor` gets the file's path and resolves once
 * the editor exits). Returns the top-level keys that changed; an empty list writes nothing.
 */
export async function editSecret(ref: SecretRef, identities: readonly AgeIdentity[], runEditor: (path: string) => Promise<void>): Promise<string[]> {
  const decrypted = decryptSecret(ref, identities);
  const dir = mkdtempSync(join(tempBase(), 'build-image-secret-'));
  let edited: string;
  try {
    const file = join(dir, `${ref.name}.yaml`);
    const header = ` ${ref.label}: save and quit to encrypt it again; comments are not kept.`;
    writeFileSync(file, stringifyTree(decrypted.plain, header), { mode: 0o600 });
    await runEditor(file);
    if (!existsSync(file)) throw new UserError(`${ref.label}: the edited file was removed; nothing changed`);
    edited = readFileSync(file, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const plain = parseYamlTree(edited, `${ref.label} (edited)`);
  return writeChanges(ref, decrypted, plain);
}
