// Runs the real kubectl against a simulator (its kubeconfig: HTTPS, its CA, bearer token), for
// tests that check what the product created is what kubectl shows.
import { execFile } from 'node:child_process';
import type { KubeSim } from './apiserver/server.js';

export function kubectl(sim: Pick<KubeSim, 'kubeconfigPath'>, namespace: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('kubectl', ['--kubeconfig', sim.kubeconfigPath, '-n', namespace, ...args], { timeout: 60000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kubectl ${args.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
}

/** `kubectl get ... -o json`, parsed. */
export async function kubectlGet(sim: Pick<KubeSim, 'kubeconfigPath'>, namespace: string, ...args: string[]): Promise<any> {
  return JSON.parse(await kubectl(sim, namespace, ['get', ...args, '-o', 'json']));
}
