// Environment secrets in a (simulated) cluster: decrypted for a workflow with every value masked
// first, then created as labelled Opaque Secrets owned by the Deployment, replaced in place,
// deleted with the environment. Plain create/get/replace/delete of Secrets only.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeSim, type KubeSim } from '../kube-sim/index.js';
import { KubeClient } from '../../src/systems/kube/client.js';
import { generateIdentity } from '../../src/systems/age/age.js';
import { environmentSecretManifest, redactedSecret } from '../../src/systems/kube/secrets.js';
import { createSecret, secretRef } from '../../src/secrets/store.js';
import { parseYamlTree } from '../../src/secrets/tree.js';
import { decryptForWorkflow, syncEnvironmentSecrets } from '../../src/secrets/workflow.js';
import { UserError } from '../../src/lib/errors.js';

const ns = 'env-secrets';
let sim: KubeSim;
let client: KubeClient;
const repo = mkdtempSync(join(tmpdir(), 'env-secrets-'));
const ci = generateIdentity();
const PASSWORD = 'pg-Rt5v8-never-logged';

beforeAll(async () => {
  sim = await startKubeSim({ namespaces: [ns] });
  client = new KubeClient({ kubeConfig: sim.kubeConfig(), retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 100 } });
  createSecret(secretRef(repo, 'db'), parseYamlTree(`password: ${PASSWORD}\nport: 5432\ntls:\n  verify: true\n  hosts: [a, b]\n`, 'in'), [ci.recipient]);
  createSecret(secretRef(repo, 'api'), parseYamlTree('token: "tok-Ae4q1\\nsecond-line-Ae4q1"\n', 'in'), [ci.recipient]);
});
afterAll(async () => {
  await sim?.stop();
  rmSync(repo, { recursive: true, force: true });
});

test('decryption for a workflow masks the identity and every value (and each line) before returning them', () => {
  const masked: string[] = [];
  let returned = false;
  const secrets = decryptForWorkflow({
    root: repo,
    identity: `# from the AGE_KEY secret\n${ci.identity}\n`,
    mask: (s) => {
      // every mask call happens before the caller gets any value
      expect(returned).toBe(false);
      masked.push(s);
    },
  });
  returned = true;
  expect(masked[0]).toBe(`# from the AGE_KEY secret\n${ci.identity}`);
  for (const values of secrets.values()) for (const v of Object.values(values)) expect(masked).toContain(v);
  expect(secrets.get('db')).toEqual({ password: PASSWORD, port: '5432', tls: '{"verify":true,"hosts":["a","b"]}' });
  expect(secrets.get('api')).toEqual({ token: 'tok-Ae4q1\nsecond-line-Ae4q1' });
  for (const value of [PASSWORD, '5432', 'tok-Ae4q1\nsecond-line-Ae4q1', 'tok-Ae4q1', 'second-line-Ae4q1']) expect(masked).toContain(value);
  expect(() => decryptForWorkflow({ root: repo, identity: generateIdentity().identity, mask: () => undefined })).toThrow(/encrypted to age1\w+; your identity is age1\w+/);
  expect(() => decryptForWorkflow({ root: repo, identity: '  ', mask: () => undefined })).toThrow('no age identity: set the age-key input');
});

test('the manifest is an Opaque Secret, labelled and owned by the Deployment; its printable form holds no value', () => {
  const manifest = environmentSecretManifest({ namespace: ns, environment: 'team-a', secret: 'db', values: { password: PASSWORD }, owner: { name: 'team-a', uid: 'u-1' } });
  expect(manifest).toEqual({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'team-a-db',
      namespace: ns,
      labels: { 'app.kubernetes.io/managed-by': 'build-image', 'build-image.coder.com/environment': 'team-a', 'build-image.coder.com/secret': 'db' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'team-a', uid: 'u-1', controller: false, blockOwnerDeletion: true }],
    },
    type: 'Opaque',
    data: { password: Buffer.from(PASSWORD).toString('base64') },
  });
  const printed = JSON.stringify(redactedSecret(manifest));
  expect(printed).not.toContain(PASSWORD);
  expect(printed).not.toContain(Buffer.from(PASSWORD).toString('base64'));
  expect(printed).toContain('"password":"<redacted>"');
});

test("sync creates the Secrets, replaces them in place, leaves equal ones alone, and deletes the environment's leftovers", async () => {
  const owner = { name: 'team-a', uid: '6f1c2f0e-0000-4000-8000-000000000001' };
  const secrets = decryptForWorkflow({ root: repo, identity: ci.identity, mask: () => undefined });
  const first = await syncEnvironmentSecrets(client, { namespace: ns, environment: 'team-a', owner, secrets });
  expect(first).toEqual({
    applied: [
      { secret: 'api', name: 'team-a-api', keys: ['token'], action: 'created' },
      { secret: 'db', name: 'team-a-db', keys: ['password', 'port', 'tls'], action: 'created' },
    ],
    deleted: [],
  });
  expect(JSON.stringify(first)).not.toContain(PASSWORD);
  const created = (await client.findSecret(ns, 'team-a-db'))!;
  expect(created.type).toBe('Opaque');
  expect(created.metadata!.labels!['build-image.coder.com/environment']).toBe('team-a');
  expect(created.metadata!.ownerReferences).toEqual([expect.objectContaining({ kind: 'Deployment', name: 'team-a', uid: owner.uid })]);
  expect(Buffer.from(created.data!.password!, 'base64').toString()).toBe(PASSWORD);

  const again = await syncEnvironmentSecrets(client, { namespace: ns, environment: 'team-a', owner, secrets });
  expect(again.applied.map((a) => a.action)).toEqual(['unchanged', 'unchanged']);

  const changed = new Map(secrets);
  changed.set('db', { ...secrets.get('db')!, password: `${PASSWORD}-new` });
  changed.delete('api');
  const third = await syncEnvironmentSecrets(client, { namespace: ns, environment: 'team-a', owner, secrets: changed });
  expect(third).toEqual({ applied: [{ secret: 'db', name: 'team-a-db', keys: ['password', 'port', 'tls'], action: 'updated' }], deleted: ['team-a-api'] });
  const updated = (await client.findSecret(ns, 'team-a-db'))!;
  expect(updated.metadata!.uid).toBe(created.metadata!.uid);
  expect(updated.metadata!.resourceVersion).not.toBe(created.metadata!.resourceVersion);
  expect(Buffer.from(updated.data!.password!, 'base64').toString()).toBe(`${PASSWORD}-new`);
  expect(await client.findSecret(ns, 'team-a-api')).toBeUndefined();

  // another environment's secrets are not touched; deleting an environment removes only its own
  await syncEnvironmentSecrets(client, { namespace: ns, environment: 'team-b', secrets: new Map([['db', { password: 'b' }]]) });
  expect(await syncEnvironmentSecrets(client, { namespace: ns, environment: 'team-a', secrets: new Map() })).toEqual({ applied: [], deleted: ['team-a-db'] });
  expect(await client.findSecret(ns, 'team-b-db')).toBeDefined();
});

test('a Secret of the same name that build-image does not own is never replaced', async () => {
  await client.createSecret(ns, { metadata: { name: 'team-c-db' }, stringData: { password: 'theirs' } });
  await expect(syncEnvironmentSecrets(client, { namespace: ns, environment: 'team-c', secrets: new Map([['db', { password: 'ours' }]]) })).rejects.toThrow(UserError);
  await expect(syncEnvironmentSecrets(client, { namespace: ns, environment: 'team-c', secrets: new Map([['db', { password: 'ours' }]]) })).rejects.toThrow("secret env-secrets/team-c-db exists and does not belong to environment 'team-c'");
  expect(Buffer.from((await client.findSecret(ns, 'team-c-db'))!.data!.password!, 'base64').toString()).toBe('theirs');
});
