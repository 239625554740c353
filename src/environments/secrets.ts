// The clear values an environment's Secrets hold, from `.coder/secrets/<name>.yaml` (sops v3
// with age recipients, src/secrets) and the age identity the workflow holds. Every value is
// handed to `mask` before anything else sees it.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSopsFile, decryptFile } from '../secrets/sops.js';
import { isLeaf, leafValue, type Value } from '../secrets/tree.js';
import { parseIdentityFile, type AgeIdentity } from '../systems/age/age.js';
import { TEMPLATE_DIR } from '../templates/load.js';
import { UserError } from '../lib/errors.js';
import type { SecretValues } from './environment.js';

/** Flat `key -> text` from a decrypted tree: the `data` map when there is one, else the top-level values. */
export function flatValues(plain: Map<string, Value>, label: string): Record<string, string> {
  const data = plain.get('data');
  const source = data instanceof Map ? data : plain;
  const values: Record<string, string> = {};
  for (const [key, value] of source) {
    if (value === null) values[key] = '';
    else if (isLeaf(value)) values[key] = String(leafValue(value));
    else throw new UserError(`${label}: key '${key}' holds a ${Array.isArray(value) ? 'list' : 'mapping'}; a Kubernetes Secret takes one string per key`);
  }
  return values;
}

/** Decrypts secrets files of the templates repository at `root` with the given identities (the text of an age key file). */
export function secretValuesFromRepo(root: string, identityText: string, mask: (value: string) => void = () => undefined): SecretValues {
  let identities: AgeIdentity[] | undefined;
  return {
    async values(name: string): Promise<Record<string, string>> {
      identities ??= parseIdentityFile(identityText, 'the age identity');
      const path = [join(root, TEMPLATE_DIR, 'secrets', `${name}.yaml`), join(root, TEMPLATE_DIR, 'secrets', `${name}.yml`)].find((p) => existsSync(p));
      if (!path) throw new UserError(`secret '${name}': no file ${TEMPLATE_DIR}/secrets/${name}.yaml`);
      const label = `secret '${name}' (${TEMPLATE_DIR}/secrets/${name}.yaml)`;
      const decrypted = decryptFile(parseSopsFile(readFileSync(path, 'utf8'), label), identities);
      const values = flatValues(decrypted.plain, label);
      for (const value of Object.values(values)) if (value !== '') mask(value);
      return values;
    },
  };
}
