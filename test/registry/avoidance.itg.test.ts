// G4 lookups against the real registry: the inputs tag, verified by the label in the config.
import { createHash } from 'node:crypto';
import { RegistryClient } from '../../src/systems/registry/client.js';
import { findReusable, inputsTag, INPUTS_LABEL } from '../../src/pipeline/avoidance.js';
import { startRegistry, type TestRegistry } from '../harness/registry.js';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.js';
import { pushTestImage } from './images.js';

let registry: TestRegistry;
let proxy: FaultProxy;
let client: RegistryClient;
beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.host);
  client = new RegistryClient({ insecure: [proxy.host], backoff: { attempts: 2, baseDelayMs: 10, maxDelayMs: 20 } });
});
afterAll(async () => {
  await proxy.stop();
  await registry.stop();
});

const hash = (s: string) => createHash('sha256').update(s).digest('hex');

test('reuses an image whose inputs tag and label match; not one whose label differs or that is absent', async () => {
  const h1 = hash('one');
  const h2 = hash('two');
  const h3 = hash('three');
  const repo = (name: string) => ({ registry: proxy.host, repository: name });
  const built = await pushTestImage(client, repo('g4/a'), inputsTag(h1), [[{ name: 'a', content: 'a' }]], { Labels: { [INPUTS_LABEL]: h1 } });
  // a tag moved by hand onto an image built from other inputs
  await pushTestImage(client, repo('g4/b'), inputsTag(h2), [[{ name: 'b', content: 'b' }]], { Labels: { [INPUTS_LABEL]: h3 } });
  const found = await findReusable(
    [
      { name: 'a', repository: `${proxy.host}/g4/a`, inputHash: `sha256:${h1}` },
      { name: 'b', repository: repo('g4/b'), inputHash: h2 },
      { name: 'c', repository: `${proxy.host}/g4/c`, inputHash: h3 },
    ],
    client,
  );
  expect([...found.entries()]).toEqual([['a', { digest: built.digest }]]);
});

test('a registry that keeps failing is an error naming the image, not a silent rebuild', async () => {
  proxy.inject({ method: 'HEAD', path: /g4\/a\/manifests/, status: 503, times: 2 });
  await expect(findReusable([{ name: 'a', repository: `${proxy.host}/g4/a`, inputHash: hash('one') }], client)).rejects.toThrow(/build avoidance: could not look up earlier builds\n {2}- a \(.*g4\/a\): .*answered 503/);
});
