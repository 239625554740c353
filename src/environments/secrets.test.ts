import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ageEntries, emitSopsFile, encryptTree, newDataKey, newMetadata } from '../secrets/sops.js';
import { str, type Value } from '../secrets/tree.js';
import { generateIdentity } from '../systems/age/age.js';
import { secretValuesFromRepo } from './secrets.js';

/** A sops file as `build-image secret create` writes it: key names in clear, values encrypted. */
function writeSecret(root: string, name: string, plain: Map<string, Value>, recipient: string): void {
  const dataKey = newDataKey();
  const { tree, mac, lastmodified } = encryptTree({ plain, dataKey });
  mkdirSync(join(root, '.coder', 'secrets'), { recursive: true });
  writeFileSync(join(root, '.coder', 'secrets', `${name}.yaml`), emitSopsFile(tree, { raw: newMetadata(), age: ageEntries(dataKey, [recipient]), lastmodified, mac }));
}

test('values of a sops file, decrypted with the identity and each masked; a wrong identity fails with the recipients', async () => {
  const root = mkdtempSync(join(tmpdir(), 'bi-env-secrets-'));
  try {
    const team = generateIdentity();
    writeSecret(
      root,
      'db',
      new Map<string, Value>([
        ['password', str('s3cret')],
        ['user', str('coder')],
      ]),
      team.recipient,
    );
    writeSecret(root, 'nested', new Map<string, Value>([['data', new Map<string, Value>([['token', str('t0k')]])]]), team.recipient);
    const masked: string[] = [];
    const source = secretValuesFromRepo(root, `# key\n${team.identity}\n`, (v) => masked.push(v));
    expect(await source.values('db')).toEqual({ password: 's3cret', user: 'coder' });
    expect(await source.values('nested')).toEqual({ data: '{"token":"t0k"}' });
    expect(masked).toEqual(expect.arrayContaining([team.identity, 's3cret', 'coder', '{"token":"t0k"}']));
    await expect(source.values('missing')).rejects.toThrow('missing');
    const other = generateIdentity();
    await expect(secretValuesFromRepo(root, other.identity).values('db')).rejects.toThrow(team.recipient);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
