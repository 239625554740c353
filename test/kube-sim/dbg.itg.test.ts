import { test } from '@jest/globals';
import { CoreV1Api, Watch } from '@kubernetes/client-node';
import { startKubeSim } from './server.js';
test('dbg', async () => {
  const sim = await startKubeSim({ namespaces: ['x'] });
  const kc = sim.kubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const seen: string[] = [];
  const list = await core.listNamespacedSecret({ namespace: 'x' });
  console.log('rv', list.metadata);
  await new Watch(kc).watch('/api/v1/namespaces/x/secrets', { resourceVersion: list.metadata!.resourceVersion }, (t, o) => { seen.push(t); console.log('ev', t); }, (e) => console.log('done', e));
  await core.createNamespacedSecret({ namespace: 'x', body: { metadata: { name: 'a' } } });
  await new Promise((r) => setTimeout(r, 500));
  console.log(seen, sim.requests);
  await sim.stop();
});
