// What `validate` checks in a secret file without any key: the file name is a usable secret
// name, the key names suit a Kubernetes Secret, every value that should be encrypted is an
// ENC[AES256_GCM,...] value, and the sops metadata names valid age recipients and has a MAC.
// Messages never repeat a value: a clear value in a secret file must not reach a CI log.
import { basename } from 'node:path';
import { UserError } from '../lib/errors.js';
import type { Problem } from '../templates/problems.js';
import { problemAtPath, type SourceFile } from '../templates/yaml.js';
import { describePosition, metadataProblems, parseEncryptedValue, parseSopsFile, shouldEncrypt } from './sops.js';
import { KEY_RE } from './store.js';
import { isLeaf, leaves } from './tree.js';

const NAME_RE = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;

/** The secret's name: its file name without `.yaml`. */
export function secretNameOf(path: string): string {
  return basename(path).replace(/\.ya?ml$/i, '');
}

export function checkSecretFile(file: SourceFile): Problem[] {
  const problems: Problem[] = [];
  const name = secretNameOf(file.path);
  if (!NAME_RE.test(name)) {
    problems.push({ file: file.path, line: 1, column: 1, message: `'${name}' is not a valid secret name (the file name): use lower-case letters, digits, '-' and '.'`, title: 'Invalid secret name' });
  }
  let parsed;
  try {
    parsed = parseSopsFile(file.text, file.path);
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    return [...problems, problemAtPath(file, ['sops'], err.message.replace(`${file.path}: `, ''), 'Invalid sops file')];
  }
  for (const p of metadataProblems(parsed.metadata)) problems.push(problemAtPath(file, p.path, p.message, 'Invalid sops metadata'));
  if (parsed.tree.size === 0) problems.push({ file: file.path, line: 1, column: 1, message: "the secret has no keys; add one with 'build-image secret set'", title: 'Empty secret' });
  for (const key of parsed.tree.keys()) {
    if (!KEY_RE.test(key)) problems.push(problemAtPath(file, [key], `invalid key name '${key}': a Kubernetes Secret key uses letters, digits, '-', '_' and '.'`, 'Invalid key', true));
  }
  for (const { leaf, path, position } of leaves(parsed.tree)) {
    if (leaf === null || !shouldEncrypt(path, parsed.metadata.rules)) continue;
    if (isLeaf(leaf) && leaf.type === 'str' && (leaf.text === '' || parseEncryptedValue(leaf.text))) continue;
    problems.push(
      problemAtPath(file, position, `the value at '${describePosition(position)}' is not encrypted; remove it from the file and set it with 'build-image secret set' (and change it: it was committed in clear)`, 'Clear value in a secret'),
    );
  }
  return problems;
}
