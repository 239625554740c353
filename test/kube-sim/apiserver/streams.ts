// Exec and attach over websockets with the Kubernetes channel protocols: every binary frame is one
// channel byte (0 stdin, 1 stdout, 2 stderr, 3 error/status JSON, 4 resize, 255 close) plus data.
// With v5.channel.k8s.io the client half-closes stdin with [255, 0]; with older protocols it can
// only close the socket, which the simulator (like a kubelet) treats as end of stdin.
import type { ChildProcess } from 'node:child_process';
import { WebSocket } from 'ws';
import { withoutBuildahNoise, type LogBuffer } from '../kubelet/kubelet.js';

export const CHANNEL_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'];

export function chooseProtocol(offered: Set<string>): string | false {
  return CHANNEL_PROTOCOLS.find((p) => offered.has(p)) ?? false;
}

const frame = (channel: number, data: Buffer | string): Buffer => Buffer.concat([Buffer.from([channel]), typeof data === 'string' ? Buffer.from(data) : data]);

function exitStatus(command: string[], code: number): Record<string, unknown> {
  if (code === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

function sendStatus(ws: WebSocket, status: Record<string, unknown>): void {
  if (ws.readyState !== WebSocket.OPEN) return;
  const text = ws.protocol === 'channel.k8s.io' ? String(status.message ?? '') : JSON.stringify(status);
  ws.send(frame(3, text), () => ws.close(1000));
}

export function serveExec(ws: WebSocket, child: ChildProcess, command: string[], opts: { stdout: boolean; stderr: boolean }): void {
  let stdinEnded = false;
  const endStdin = (): void => {
    if (stdinEnded) return;
    stdinEnded = true;
    child.stdin?.end();
  };
  child.stdin?.on('error', () => undefined);
  child.stdout?.on('data', (d: Buffer) => opts.stdout && ws.readyState === WebSocket.OPEN && ws.send(frame(1, d)));
  if (child.stderr) withoutBuildahNoise(child.stderr, (d) => opts.stderr && ws.readyState === WebSocket.OPEN && ws.send(frame(2, d)));
  ws.on('message', (data: Buffer) => {
    const channel = data[0];
    if (channel === 0 && !stdinEnded) child.stdin?.write(data.subarray(1));
    else if (channel === 255 && data[1] === 0) endStdin();
  });
  ws.on('close', endStdin);
  child.once('close', (code, signal) => sendStatus(ws, exitStatus(command, code ?? (signal ? 137 : 1))));
  child.once('error', (err) => sendStatus(ws, { metadata: {}, status: 'Failure', message: err.message, reason: 'InternalError' }));
}

export function serveAttach(ws: WebSocket, target: { process?: ChildProcess; log: LogBuffer }, opts: { stdin: boolean }): void {
  const follower = {
    data: (d: Buffer) => ws.readyState === WebSocket.OPEN && ws.send(frame(1, d)),
    end: () => sendStatus(ws, { metadata: {}, status: 'Success' }),
  };
  if (target.log.ended) follower.end();
  else target.log.followers.add(follower);
  ws.on('message', (data: Buffer) => {
    if (data[0] === 0 && opts.stdin) target.process?.stdin?.write(data.subarray(1));
    else if (data[0] === 255 && data[1] === 0) target.process?.stdin?.end();
  });
  ws.on('close', () => target.log.followers.delete(follower));
}
