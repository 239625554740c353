// The simulator's kubelet and controllers. It runs each pod for real:
// - a container whose image is in a (loopback) registry is pulled with `buildah from` and its
//   command runs with `buildah run --isolation chroot`, volumes bind-mounted from per-pod host dirs
//   (emptyDir = a temp dir, secret = its decoded keys as files);
// - a container whose image is a kaniko executor runs `emulateKaniko` (a real buildah build + push);
// - `exec` runs another `buildah run` in the same working container (same rootfs, same mounts).
// Faults the tests trigger: unpullable images (ErrImagePull -> ImagePullBackOff), OOMKilled below a
// memory-limit threshold, eviction. The deployment controller marks rollouts available.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { emulateKaniko } from './kaniko.js';
import type { Registry } from '../apiserver/registry.js';
import { resourceByKind, type KObject } from '../store/types.js';
import { SimError } from '../store/status.js';

const POD = resourceByKind('Pod');
const SECRET = resourceByKind('Secret');
const BUILDAH = ['--storage-driver', 'vfs'];

const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A container's log: everything it wrote, plus followers for `?follow=true` and attach. */
export class LogBuffer {
  private readonly chunks: Buffer[] = [];
  readonly followers = new Set<{ data(chunk: Buffer): void; end(): void }>();
  ended = false;

  write(chunk: Buffer | string): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.chunks.push(buf);
    for (const f of this.followers) f.data(buf);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const f of this.followers) f.end();
    this.followers.clear();
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

class Aborted extends Error {}

interface ContainerRuntime {
  name: string;
  init: boolean;
  spec: KObject;
  log: LogBuffer;
  /** `buildah` working container id, for real (non-kaniko) containers. */
  workingContainer?: string;
  mountArgs: string[];
  main?: ChildProcess;
  state: 'waiting' | 'running' | 'terminated';
  terminationFile: string;
  rootDir: string;
}

interface PodRuntime {
  namespace: string;
  name: string;
  uid: string;
  dir: string;
  volumes: Map<string, string>;
  containers: Map<string, ContainerRuntime>;
  processes: Set<ChildProcess>;
  aborted: boolean;
  evicted: boolean;
  abort: AbortController;
}

export interface KubeletFaults {
  /** Image references (exact, or a repository prefix ending in ':' / '@' / '/') that cannot be pulled. */
  unpullable: Set<string>;
  /** Containers whose memory limit is below this many bytes are OOMKilled shortly after they start. */
  oomMemoryBelowBytes?: number;
}

export function parseQuantityBytes(q: string | number | undefined): number | undefined {
  if (q === undefined) return undefined;
  const m = /^([0-9.]+)([EPTGMK]i?|[kmu]|e[0-9]+)?$/.exec(String(q));
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? '';
  const bin: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
  const dec: Record<string, number> = { k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, m: 1e-3, u: 1e-6 };
  if (unit.startsWith('e')) return n * 10 ** Number(unit.slice(1));
  return n * (bin[unit] ?? dec[unit] ?? 1);
}

export class Kubelet {
  readonly faults: KubeletFaults = { unpullable: new Set() };
  /** Which images are the kaniko executor (emulated, never pulled). */
  isKanikoImage: (image: string) => boolean = (image) => /(^|\/)(kaniko|executor)([:@]|$)|kaniko-project\/executor/.test(image);
  /** Called when a container starts running (tests use it to evict or cancel mid-build). */
  onContainerStarted?: (pod: { namespace: string; name: string }, container: string) => void;
  private readonly pods = new Map<string, PodRuntime>();
  private readonly pending = new Set<Promise<unknown>>();
  /** Images `buildah from` pulled, removed from local storage when the simulator stops. */
  private readonly pulled = new Set<string>();
  private seq = 0;

  private get store() {
    return this.registry.store;
  }

  constructor(
    private readonly registry: Registry,
    private readonly workRoot: string,
  ) {
    registry.store.hooks.push((type, event) => {
      if (type !== POD) return;
      const pod = event.object;
      if (event.type === 'ADDED') this.track(this.runPod(pod));
      else if (event.type === 'DELETED') this.track(this.stopPod(pod.metadata.uid));
      else if (pod.metadata.deletionTimestamp && !this.terminating.has(pod.metadata.uid)) {
        // Graceful deletion: stop the containers, then confirm so the API server removes the pod.
        this.terminating.add(pod.metadata.uid);
        this.track(this.stopPod(pod.metadata.uid).then(() => {
          this.registry.removeNow(POD, pod.metadata.namespace, pod.metadata.name, pod.metadata.uid);
          this.terminating.delete(pod.metadata.uid);
        }));
      }
    });
  }
  private readonly terminating = new Set<string>();

  private track(p: Promise<unknown>): void {
    const tracked = p.catch(() => undefined).finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  private isUnpullable(image: string): boolean {
    for (const u of this.faults.unpullable) {
      if (image === u || (/[:@/]$/.test(u) && image.startsWith(u))) return true;
    }
    return false;
  }

  // ---- pod status helpers ----

  private updatePod(rt: PodRuntime, change: (pod: KObject) => void): void {
    if (rt.aborted && !rt.evicted) return;
    this.registry.mutate(POD, rt.namespace, rt.name, change, rt.uid);
  }

  private setContainerStatus(rt: PodRuntime, c: ContainerRuntime, state: KObject, extra: KObject = {}): void {
    this.updatePod(rt, (pod) => {
      const list = (c.init ? pod.status.initContainerStatuses : pod.status.containerStatuses) as KObject[];
      const status = list.find((s) => s.name === c.name);
      if (!status) return;
      status.state = state;
      Object.assign(status, extra);
      if (!c.init) {
        const all = pod.status.containerStatuses as KObject[];
        const ready = all.every((s) => s.ready);
        setCondition(pod, 'Ready', ready);
        setCondition(pod, 'ContainersReady', ready);
        if (all.some((s) => s.state.running) && pod.status.phase === 'Pending') pod.status.phase = 'Running';
      }
    });
  }

  // ---- running pods ----

  private async runPod(pod: KObject): Promise<void> {
    const rt: PodRuntime = {
      namespace: pod.metadata.namespace,
      name: pod.metadata.name,
      uid: pod.metadata.uid,
      dir: mkdtempSync(join(this.workRoot, `pod-${pod.metadata.name}-`)),
      volumes: new Map(),
      containers: new Map(),
      processes: new Set(),
      aborted: false,
      evicted: false,
      abort: new AbortController(),
    };
    this.pods.set(rt.uid, rt);
    const spec = pod.spec as KObject;
    const initSpecs = (spec.initContainers ?? []) as KObject[];
    const mainSpecs = (spec.containers ?? []) as KObject[];
    for (const [list, init] of [[initSpecs, true], [mainSpecs, false]] as const) {
      for (const c of list) {
        const rootDir = join(rt.dir, 'containers', c.name);
        mkdirSync(rootDir, { recursive: true });
        rt.containers.set(c.name, {
          name: c.name, init, spec: c, log: new LogBuffer(), mountArgs: [], state: 'waiting',
          terminationFile: join(rootDir, 'termination-log'), rootDir,
        });
      }
    }
    const waiting = (reason: string): KObject => ({ waiting: { reason } });
    const statusOf = (c: KObject, reason: string): KObject => ({
      name: c.name, state: waiting(reason), lastState: {}, ready: false, restartCount: 0, image: c.image, imageID: '', started: false,
    });
    const limits = mainSpecs.map((c) => c.resources ?? {});
    const qos = limits.every((r) => r.limits?.cpu && r.limits?.memory && JSON.stringify(r.limits) === JSON.stringify(r.requests ?? r.limits))
      ? 'Guaranteed'
      : limits.some((r) => r.limits || r.requests) ? 'Burstable' : 'BestEffort';
    await sleep(5);
    this.updatePod(rt, (p) => {
      p.spec.nodeName ??= 'kube-sim-node';
      p.status = {
        phase: 'Pending',
        conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: now() }],
        hostIP: '127.0.0.1',
        podIP: `10.244.0.${(++this.seq % 250) + 2}`,
        startTime: now(),
        qosClass: qos,
        ...(initSpecs.length ? { initContainerStatuses: initSpecs.map((c) => statusOf(c, 'PodInitializing')) } : {}),
        containerStatuses: mainSpecs.map((c) => statusOf(c, initSpecs.length ? 'PodInitializing' : 'ContainerCreating')),
      };
      setCondition(p, 'Initialized', initSpecs.length === 0);
      setCondition(p, 'Ready', false);
      setCondition(p, 'ContainersReady', false);
    });
    try {
      await this.prepareVolumes(rt, spec);
      for (const c of initSpecs) {
        const code = await this.runContainer(rt, rt.containers.get(c.name)!, spec);
        if (code !== 0) {
          this.updatePod(rt, (p) => {
            p.status.phase = 'Failed';
            for (const s of p.status.containerStatuses) s.state = { waiting: { reason: 'PodInitializing' } };
          });
          return;
        }
      }
      this.updatePod(rt, (p) => setCondition(p, 'Initialized', true));
      const codes = await Promise.all(mainSpecs.map((c) => this.runContainer(rt, rt.containers.get(c.name)!, spec)));
      this.updatePod(rt, (p) => {
        p.status.phase = codes.every((c) => c === 0) ? 'Succeeded' : 'Failed';
        setCondition(p, 'Ready', false);
        setCondition(p, 'ContainersReady', false);
      });
    } catch (err) {
      if (!(err instanceof Aborted)) throw err;
    } finally {
      for (const c of rt.containers.values()) c.log.end();
    }
  }

  private async prepareVolumes(rt: PodRuntime, spec: KObject): Promise<void> {
    for (const v of (spec.volumes ?? []) as KObject[]) {
      const dir = join(rt.dir, 'volumes', v.name);
      mkdirSync(dir, { recursive: true });
      rt.volumes.set(v.name, dir);
      if (v.secret) {
        // Like the kubelet, wait (ContainerCreating) until the secret exists.
        let secret: KObject | undefined;
        for (;;) {
          if (rt.aborted) throw new Aborted();
          secret = this.store.tryGet(SECRET, rt.namespace, v.secret.secretName);
          if (secret || v.secret.optional) break;
          await sleep(50);
        }
        const data = (secret?.data ?? {}) as Record<string, string>;
        const items = (v.secret.items as KObject[] | undefined) ?? Object.keys(data).map((k) => ({ key: k, path: k }));
        for (const item of items) {
          if (data[item.key] === undefined) continue;
          const file = join(dir, item.path);
          mkdirSync(dirname(file), { recursive: true });
          writeFileSync(file, Buffer.from(data[item.key]!, 'base64'));
        }
      }
    }
  }

  /** Maps a container path to the host: volume mounts first (longest prefix), else the container's own root. */
  private hostPath(rt: PodRuntime, c: ContainerRuntime, path: string): string {
    if (path === (c.spec.terminationMessagePath ?? '/dev/termination-log')) return c.terminationFile;
    const mounts = ((c.spec.volumeMounts ?? []) as KObject[]).slice().sort((a, b) => b.mountPath.length - a.mountPath.length);
    for (const m of mounts) {
      const mp = m.mountPath.replace(/\/+$/, '');
      if (path === mp || path.startsWith(mp + '/')) return join(rt.volumes.get(m.name)!, m.subPath ?? '', path.slice(mp.length));
    }
    const target = join(c.rootDir, 'root', path);
    mkdirSync(dirname(target), { recursive: true });
    return target;
  }

  private spawnTracked(rt: PodRuntime, command: string, args: string[], options: { env?: Record<string, string>; stdin?: boolean } = {}): ChildProcess {
    if (rt.aborted) throw new Aborted();
    const child = spawn(command, args, {
      detached: true,
      stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    });
    rt.processes.add(child);
    child.once('exit', () => rt.processes.delete(child));
    return child;
  }

  private async pullBackOff(rt: PodRuntime, c: ContainerRuntime, message: string): Promise<never> {
    this.setContainerStatus(rt, c, { waiting: { reason: 'ErrImagePull', message } });
    await sleep(300);
    this.setContainerStatus(rt, c, { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.spec.image}": ${message}` } });
    await untilAborted(rt);
    throw new Aborted();
  }

  private async runContainer(rt: PodRuntime, c: ContainerRuntime, podSpec: KObject): Promise<number> {
    if (rt.aborted) throw new Aborted();
    const image = c.spec.image as string;
    if (this.isUnpullable(image)) {
      await this.pullBackOff(rt, c, `rpc error: code = NotFound desc = failed to pull and unpack image "${image}": not found`);
    }
    const kaniko = this.isKanikoImage(image);
    c.mountArgs = ((c.spec.volumeMounts ?? []) as KObject[]).flatMap((m) => [
      '-v', `${join(rt.volumes.get(m.name)!, m.subPath ?? '')}:${m.mountPath}${m.readOnly ? ':ro' : ''}`,
    ]);
    let command: string[] = [];
    if (!kaniko) {
      const name = `kube-sim-${rt.uid.slice(0, 8)}-${c.name}`;
      const pull = await this.capture(rt, 'buildah', [...BUILDAH, 'from', '--quiet', '--pull', '--tls-verify=false', '--name', name, image]);
      if (pull.code !== 0) await this.pullBackOff(rt, c, pull.output.trim().split('\n').at(-1) ?? 'pull failed');
      this.pulled.add(image);
      c.workingContainer = name;
      command = [...(c.spec.command ?? []), ...(c.spec.args ?? [])];
      if (!c.spec.command) {
        const info = JSON.parse((await this.capture(rt, 'buildah', [...BUILDAH, 'inspect', '--type', 'container', name])).output);
        const config = info.OCIv1?.config ?? {};
        command = [...(config.Entrypoint ?? []), ...(c.spec.args ?? config.Cmd ?? [])];
      }
      if (command.length === 0) {
        this.setContainerStatus(rt, c, { waiting: { reason: 'CreateContainerError', message: 'no command specified' } });
        await untilAborted(rt);
      }
    }
    const startedAt = now();
    c.state = 'running';
    this.setContainerStatus(rt, c, { running: { startedAt } }, {
      ready: !c.init, started: true, containerID: `containerd://${rt.uid.replace(/-/g, '')}${c.name}`.slice(0, 77), imageID: image,
    });
    this.onContainerStarted?.({ namespace: rt.namespace, name: rt.name }, c.name);
    const limit = parseQuantityBytes(c.spec.resources?.limits?.memory);
    const oom = limit !== undefined && this.faults.oomMemoryBelowBytes !== undefined && limit < this.faults.oomMemoryBelowBytes;
    let oomTimer: NodeJS.Timeout | undefined;
    let oomFired = false;
    const own = new Set<ChildProcess>();
    const oomKill = (): void => {
      oomFired = true;
      for (const p of own) killGroup(p);
    };
    if (oom) oomTimer = setTimeout(oomKill, 400);
    let exitCode: number;
    const env = Object.fromEntries(((c.spec.env ?? []) as KObject[]).filter((e) => typeof e.value === 'string').map((e) => [e.name, e.value as string]));
    if (kaniko) {
      exitCode = await emulateKaniko([...(c.spec.command?.slice(1) ?? []), ...(c.spec.args ?? [])], {
        env,
        hostPath: (p) => this.hostPath(rt, c, p),
        log: (text) => c.log.write(text),
        run: async (cmd, args, extraEnv, quiet) => {
          if (oomFired) return 137;
          const child = this.spawnTracked(rt, cmd, args, { env: extraEnv });
          own.add(child);
          if (!quiet) {
            child.stdout!.on('data', (d: Buffer) => c.log.write(d));
            child.stderr!.on('data', (d: Buffer) => c.log.write(d));
          } else {
            child.stdout!.resume();
            child.stderr!.resume();
          }
          return exitOf(child);
        },
      });
    } else {
      const user = podSpec.securityContext?.runAsUser ?? c.spec.securityContext?.runAsUser;
      const child = this.spawnTracked(rt, 'buildah', [
        ...BUILDAH, 'run', '--isolation', 'chroot', ...c.mountArgs,
        ...Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
        ...(c.spec.workingDir ? ['--workingdir', c.spec.workingDir] : []),
        ...(user !== undefined ? ['--user', String(user)] : []),
        c.workingContainer!, '--', ...command,
      ], { stdin: c.spec.stdin === true });
      own.add(child);
      c.main = child;
      child.stdout!.on('data', (d: Buffer) => c.log.write(d));
      withoutBuildahNoise(child.stderr!, (d) => c.log.write(d));
      exitCode = await exitOf(child);
    }
    if (oomFired) exitCode = 137;
    clearTimeout(oomTimer);
    if (rt.aborted) throw new Aborted();
    c.state = 'terminated';
    let message = existsSync(c.terminationFile) ? readFileSync(c.terminationFile, 'utf8').slice(0, 4096) : '';
    if (!message && exitCode !== 0 && c.spec.terminationMessagePolicy === 'FallbackToLogsOnError') {
      message = c.log.text().split('\n').slice(-80).join('\n').slice(-2048);
    }
    const reason = oomFired ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error';
    this.setContainerStatus(rt, c, {
      terminated: { exitCode, reason, ...(message ? { message } : {}), startedAt, finishedAt: now(), containerID: `containerd://${rt.uid}` },
    }, { ready: false, started: false });
    c.log.end();
    return exitCode;
  }

  private async capture(rt: PodRuntime, command: string, args: string[]): Promise<{ code: number; output: string }> {
    const child = this.spawnTracked(rt, command, args);
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const code = await exitOf(child);
    if (rt.aborted) throw new Aborted();
    return { code, output };
  }

  private async stopPod(uid: string): Promise<void> {
    const rt = this.pods.get(uid);
    if (!rt) return;
    this.pods.delete(uid);
    await this.teardown(rt);
  }

  private async teardown(rt: PodRuntime): Promise<void> {
    rt.aborted = true;
    rt.abort.abort();
    const exits = [...rt.processes].map((p) => exitOf(p));
    for (const p of rt.processes) killGroup(p);
    await Promise.all(exits);
    for (const c of rt.containers.values()) {
      c.log.end();
      if (c.workingContainer) {
        await exitOf(spawn('buildah', [...BUILDAH, 'rm', c.workingContainer], { stdio: 'ignore' }));
      }
    }
    rmSync(rt.dir, { recursive: true, force: true });
  }

  // ---- API for the server and tests ----

  private runtime(namespace: string, name: string): PodRuntime | undefined {
    for (const rt of this.pods.values()) if (rt.namespace === namespace && rt.name === name) return rt;
    return undefined;
  }

  /** The container's log, or the error the API server gives when there is none yet. */
  logsOf(namespace: string, name: string, container: string | undefined, _previous = false): LogBuffer {
    const pod = this.store.get(POD, namespace, name);
    const all = [...((pod.spec.initContainers ?? []) as KObject[]), ...(pod.spec.containers as KObject[])].map((c) => c.name as string);
    if (!container) {
      if (pod.spec.containers.length !== 1) {
        throw new SimError(400, 'BadRequest', `a container name must be specified for pod ${name}, choose one of: [${pod.spec.containers.map((c: KObject) => c.name).join(' ')}]`);
      }
      container = pod.spec.containers[0].name as string;
    }
    if (!all.includes(container)) throw new SimError(400, 'BadRequest', `container ${container} is not valid for pod ${name}`);
    const c = this.runtime(namespace, name)?.containers.get(container);
    if (!c || c.state === 'waiting') {
      const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])] as KObject[];
      const reason = statuses.find((s) => s.name === container)?.state?.waiting?.reason ?? 'ContainerCreating';
      throw new SimError(400, 'BadRequest', `container "${container}" in pod "${name}" is waiting to start: ${reason}`);
    }
    return c.log;
  }

  /** Starts a process in a running container, as `kubectl exec` would. */
  exec(namespace: string, name: string, container: string | undefined, command: string[], _tty = false): ChildProcess {
    const pod = this.store.get(POD, namespace, name);
    const rt = this.runtime(namespace, name);
    const target = container ?? pod.spec.containers[0].name;
    const c = rt?.containers.get(target);
    if (!rt || !c) throw new SimError(400, 'BadRequest', `container ${target} is not valid for pod ${name}`);
    if (c.state !== 'running' || !c.workingContainer) {
      throw new SimError(400, 'BadRequest', `unable to upgrade connection: container not found ("${target}")`);
    }
    if (command.length === 0) throw new SimError(400, 'BadRequest', 'you must specify at least one command for the container');
    return this.spawnTracked(rt, 'buildah', [...BUILDAH, 'run', '--isolation', 'chroot', ...c.mountArgs, c.workingContainer, '--', ...command], { stdin: true });
  }

  /** The running main process of a container and its log, for attach. */
  attachTarget(namespace: string, name: string, container: string | undefined): { process?: ChildProcess; log: LogBuffer } {
    const pod = this.store.get(POD, namespace, name);
    const target = container ?? pod.spec.containers[0].name;
    const c = this.runtime(namespace, name)?.containers.get(target);
    if (!c || c.state !== 'running') throw new SimError(400, 'BadRequest', `container ${target} is not running`);
    return { process: c.main, log: c.log };
  }

  /** Evicts a pod as node-pressure eviction does: processes killed, phase Failed, reason Evicted. */
  async evict(namespace: string, name: string, message = 'The node was low on resource: memory. '): Promise<void> {
    const rt = this.runtime(namespace, name);
    if (!rt) throw new Error(`pod ${namespace}/${name} is not running`);
    rt.evicted = true;
    await this.teardown(rt);
    this.pods.delete(rt.uid);
    this.registry.mutate(POD, namespace, name, (p) => {
      p.status.phase = 'Failed';
      p.status.reason = 'Evicted';
      p.status.message = message;
      for (const s of [...(p.status.initContainerStatuses ?? []), ...(p.status.containerStatuses ?? [])] as KObject[]) {
        if (s.state.running) s.state = { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated', startedAt: s.state.running.startedAt, finishedAt: now() } };
        s.ready = false;
      }
      setCondition(p, 'Ready', false);
    });
  }

  async stop(): Promise<void> {
    const all = [...this.pods.values()];
    this.pods.clear();
    await Promise.all(all.map((rt) => this.teardown(rt)));
    await Promise.all([...this.pending]);
    for (const image of this.pulled) {
      await exitOf(spawn('buildah', [...BUILDAH, 'rmi', '-f', image], { stdio: 'ignore' }));
    }
  }
}

/** Parks a pod's runner until the pod is deleted or evicted (then throws Aborted). */
function untilAborted(rt: PodRuntime): Promise<never> {
  return new Promise((_, reject) => {
    if (rt.abort.signal.aborted) return reject(new Aborted());
    rt.abort.signal.addEventListener('abort', () => reject(new Aborted()), { once: true });
  });
}

function setCondition(pod: KObject, type: string, value: boolean): void {
  pod.status.conditions ??= [];
  const conditions = pod.status.conditions as KObject[];
  const status = value ? 'True' : 'False';
  const existing = conditions.find((c) => c.type === type);
  if (existing) {
    if (existing.status !== status) Object.assign(existing, { status, lastTransitionTime: now() });
  } else conditions.push({ type, status, lastTransitionTime: now() });
}

const BUILDAH_NOISE = /^(subprocess exited with status \d+|Error: exit status \d+|error running container: .*exit status \d+)$/;

/**
 * Forwards a `buildah run` stderr line by line, dropping the lines buildah itself adds when the
 * command exits non-zero (they are not the container's output).
 */
export function withoutBuildahNoise(stderr: NodeJS.ReadableStream, write: (chunk: Buffer) => void): void {
  let pending = '';
  stderr.on('data', (d: Buffer) => {
    pending += d.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop()!;
    const kept = lines.filter((l) => !BUILDAH_NOISE.test(l));
    if (kept.length) write(Buffer.from(kept.map((l) => l + '\n').join('')));
  });
  stderr.on('end', () => {
    if (pending && !BUILDAH_NOISE.test(pending)) write(Buffer.from(pending));
  });
}

function killGroup(p: ChildProcess): void {
  try {
    if (p.pid) process.kill(-p.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function exitOf(child: ChildProcess): Promise<number> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode) return Promise.resolve(128 + 9);
  return new Promise((resolve) => {
    child.once('error', () => resolve(127));
    child.once('close', (code, signal) => resolve(code ?? (signal === 'SIGKILL' ? 137 : 128 + 15)));
  });
}
