// `npm run kube-sim -- --port PORT --kubeconfig FILE [--registry HOST:PORT] [--namespace NS]...`:
// the simulator (API server, controllers, kubelet) in the foreground until SIGTERM/SIGINT. Writes
// a kubeconfig kubectl and the product both accept, then prints one line when ready.
import { parseArgs } from 'node:util';
import { startKubeSim } from './index.js';

function fail(message: string): never {
  process.stderr.write(`kube-sim: ${message}\n`);
  process.exit(2);
}

let values: { port?: string; kubeconfig?: string; registry?: string; namespace?: string[]; token?: string };
try {
  ({ values } = parseArgs({
    options: { port: { type: 'string' }, kubeconfig: { type: 'string' }, registry: { type: 'string' }, namespace: { type: 'string', multiple: true }, token: { type: 'string' } },
    strict: true,
  }));
} catch (err) {
  fail(`${(err as Error).message}\nusage: npm run kube-sim -- --port PORT --kubeconfig FILE [--registry HOST:PORT] [--namespace NS]...`);
}
const port = values.port === undefined ? 0 : Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be a port number, got ${JSON.stringify(values.port)}`);
if (!values.kubeconfig) fail('--kubeconfig FILE is required (where to write the kubeconfig)');
if (values.registry !== undefined && !/^[\w.-]+:\d+$/.test(values.registry)) fail(`--registry must be HOST:PORT, got ${JSON.stringify(values.registry)}`);

const sim = await startKubeSim({ port, kubeconfigPath: values.kubeconfig, namespaces: values.namespace ?? [], token: values.token }).catch((err: Error) => fail(`cannot start: ${err.message}`));
if (values.registry) sim.kubelet.testRegistry = values.registry;
let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void sim.stop().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdout.write(`kube-sim ready at ${sim.url} (kubeconfig ${sim.kubeconfigPath}${values.registry ? `, registry ${values.registry}` : ''})\n`);
