// `validate` on sops secret files, without any key: fromSecret keys are checked against the key
// names (clear in sops files), and the metadata must name valid age recipients and hold a MAC.
// A clear value committed by mistake is reported by place, never repeated.
import { expect, test } from '@jest/globals';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../cli/run.js';

const example = readFileSync('examples/.coder/secrets/db.yaml', 'utf8');

async function validateWith(files: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const repo = mkdtempSync(join(tmpdir(), 'validate-secrets-'));
  try {
    cpSync('examples', repo, { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(repo, '.coder', 'secrets', name), text);
    return await runCli(['validate', repo]);
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
}

test('the example secret is a valid sops file and the example environment finds its keys', async () => {
  expect(example).toMatch(/^password: ENC\[AES256_GCM,/);
  expect(await validateWith({})).toEqual({ code: 0, stdout: 'valid: 3 images, 1 environments, 1 secrets\n', stderr: '' });
});

test.each([
  ['a clear value', example.replace(/^user: .*$/m, 'user: clear-Wq2z7-committed'), [".coder/secrets/db.yaml:2:7: the value at 'user' is not encrypted"]],
  ['a nested clear value', `${example.replace(/^user: .*\n/m, '')}`.replace(/^sops:/m, 'db:\n  hosts: [clear-Wq2z7-committed]\nsops:'), [".coder/secrets/db.yaml:3:11: the value at 'db.hosts[0]' is not encrypted"]],
  ['an invalid recipient', example.replace(/recipient: age1\w+/, 'recipient: age1notakey'), ['.coder/secrets/db.yaml:5:22: sops.age[0].recipient is not valid']],
  ['a recipient with a bad checksum', example.replace(/(recipient: age1\w+)(\w)$/m, (_m, head: string, last: string) => `${head}${last === 'q' ? 'p' : 'q'}`), [".coder/secrets/db.yaml:5:22: not a valid age recipient: 'age1"]],
  ['no MAC', example.replace(/^ {4}mac: .*$/m, '    mac: ""'), ['.coder/secrets/db.yaml:', 'sops.mac is not valid']],
  ['no age block', example.replace(/^ {4}age:[\s\S]*?(?=^ {4}lastmodified)/m, ''), ["sops is missing the required key 'age'"]],
  ['no sops block', 'password: ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:str]\n', [".coder/secrets/db.yaml:1:1: the template is missing the required key 'sops'"]],
  ['only the sops block', example.replace(/^[\s\S]*?(?=^sops:)/m, ''), ['.coder/secrets/db.yaml:1:1: the secret has no keys']],
  ['an invalid key name', example.replace(/^user:/m, 'bad key:'), [".coder/secrets/db.yaml:2:1: invalid key name 'bad key': a Kubernetes Secret key uses letters, digits, '-', '_' and '.'"]],
])('%s is reported by place', async (_name, text, messages) => {
  const r = await validateWith({ 'db.yaml': text });
  expect(r.code).toBe(1);
  for (const m of messages) expect(r.stdout).toContain(m);
  expect(r.stdout + r.stderr).not.toContain('clear-Wq2z7-committed');
});

test("fromSecret keys are checked against the sops file's key names, with no key at hand", async () => {
  const r = await validateWith({ 'db.yaml': example.replace(/^password:/m, 'passwd:') });
  expect(r.code).toBe(1);
  expect(r.stdout).toContain("secret 'db' has no key 'password' (did you mean 'passwd'?)");
});

test('a secret file name that cannot name a Kubernetes Secret is reported', async () => {
  const r = await validateWith({ 'Bad_Name.yaml': example });
  expect(r.stdout).toContain(".coder/secrets/Bad_Name.yaml:1:1: 'Bad_Name' is not a valid secret name (the file name)");
});
