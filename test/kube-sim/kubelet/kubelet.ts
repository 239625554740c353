// The simulator's kubelet and controllers. It runs each pod for real:
// - a container whose image is in a (loopback) registry is pulled with `buildah from` into the
//   node's own image store (a vfs storage under the simulator's work root) and its
//   command runs with `buildah run --isolation chroot`, volumes bind-mounted from per-pod host dirs
//   (emptyDir = a temp dir, secret = its decoded keys as files);
// - a container whose image is a kaniko executor runs `emulateKaniko` (a real buildah build + push);
// - `exec` runs another `buildah run` in the same working container (same rootfs, same mounts).
// Faults the tests trigger: unpullable images (ErrImagePull -> ImagePullBackOff), OOMKilled below a
// memory-limit threshold, eviction. The deployment controller marks rollouts available.
// Known limit: Debian's buildah 1.28 now and then drops what a short-lived `buildah run --isolation
// chroot` process wrote (its exit status still arrives): 3 of 570 runs with `--user 1000`, three
// at a time, under load. So where the image has /bin/sh, a container's command and an exec run
// under a shell that waits 0.1 s after the command exits before passing on its status (see
// `lingering`); a container without a shell runs as it is.
import { spawn, type ChildProcess } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { emulateKaniko } from './kaniko.js';
import { recordEvent } from '../controllers/events.js';
import type { Registry } from '../apiserver/registry.js';
import { resourceByKind, type KObject } from '../store/types.js';
import { SimError } from '../store/status.js';

const POD = resourceByKind('Pod');
const SECRET = resourceByKind('Secret');
const CONFIG_MAP = resourceByKind('ConfigMap');
const PVC = resourceByKind('PersistentVolumeClaim');
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
  /** The image reference resolved in its registry. */
  resolved?: boolean;
  mountArgs: string[];
  main?: ChildProcess;
  state: 'waiting' | 'running' | 'terminated';
  terminationFile: string;
  rootDir: string;
  /** Whether the image has /bin/sh, so that commands can run `lingering`. */
  shell?: boolean;
  /** Processes started in this container by exec. */
  execs: Set<ChildProcess>;
  /** The log of the previous instance (after a restart), for `?previous=true`. */
  previousLog?: LogBuffer;
  restarts: number;
  lastTerminated?: KObject;
  startedAt?: string;
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
  startedAt: number;
  deadline?: NodeJS.Timeout;
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
  /** The loopback registry (HOST:PORT) images are expected in; set by the standalone start. */
  testRegistry?: string;
  /** CrashLoopBackOff delays: the kubelet's 10 s doubling to 5 min, scaled down for tests. */
  crashBackoffMs = 1000;
  crashBackoffMaxMs = 10000;
  /** Which images are the kaniko executor (emulated, never pulled). */
  isKanikoImage: (image: string) => boolean = (image) => /(^|\/)(kaniko|executor)([:@]|$)|kaniko-project\/executor/.test(image);
  /** Called when a container starts running (tests use it to evict or cancel mid-build). */
  onContainerStarted?: (pod: { namespace: string; name: string }, container: string) => void;
  private readonly pods = new Map<string, PodRuntime>();
  private readonly pending = new Set<Promise<unknown>>();
  private seq = 0;

  private get store() {
    return this.registry.store;
  }

  /**
   * The node's own image store, as containerd keeps one per node: the kubelet's buildah calls use
   * it, so nothing else on the machine (another test's `buildah rmi --all`, say) can remove a
   * running container's root, and stopping the node needs no per-image cleanup.
   */
  private readonly storageEnv: Record<string, string>;

  constructor(
    private readonly registry: Registry,
    private readonly workRoot: string,
  ) {
    const storageConf = join(workRoot, 'containers-storage.conf');
    writeFileSync(storageConf, `[storage]\ndriver = "vfs"\ngraphroot = "${join(workRoot, 'images')}"\nrunroot = "${join(workRoot, 'images-run')}"\n`);
    this.storageEnv = { CONTAINERS_STORAGE_CONF: storageConf };
    registry.store.hooks.push((type, event) => {
      if (type !== POD) return;
      const pod = event.object;
      if (event.type === 'ADDED') this.track(this.runPod(pod));
      else if (event.type === 'DELETED') this.track(this.stopPod(pod.metadata.uid));
      else if (!pod.metadata.deletionTimestamp) {
        const rt = this.pods.get(pod.metadata.uid);
        if (rt && pod.spec?.activeDeadlineSeconds !== undefined) this.scheduleDeadline(rt, pod.spec.activeDeadlineSeconds);
      } else if (!this.terminating.has(pod.metadata.uid)) {
        // Graceful deletion: stop the containers, then confirm so the API server removes the pod.
        this.terminating.add(pod.metadata.uid);
        this.track(
          this.stopPod(pod.metadata.uid).then(() => {
            this.registry.removeNow(POD, pod.metadata.namespace, pod.metadata.name, pod.metadata.uid);
            this.terminating.delete(pod.metadata.uid);
          }),
        );
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
      startedAt: Date.now(),
    };
    this.pods.set(rt.uid, rt);
    const spec = pod.spec as KObject;
    const initSpecs = (spec.initContainers ?? []) as KObject[];
    const mainSpecs = (spec.containers ?? []) as KObject[];
    for (const [list, init] of [
      [initSpecs, true],
      [mainSpecs, false],
    ] as const) {
      for (const c of list) {
        const rootDir = join(rt.dir, 'containers', c.name);
        mkdirSync(rootDir, { recursive: true });
        rt.containers.set(c.name, {
          name: c.name,
          init,
          spec: c,
          log: new LogBuffer(),
          mountArgs: [],
          state: 'waiting',
          terminationFile: join(rootDir, 'termination-log'),
          rootDir,
          execs: new Set(),
          restarts: 0,
        });
      }
    }
    const waiting = (reason: string): KObject => ({ waiting: { reason } });
    const statusOf = (c: KObject, reason: string): KObject => ({
      name: c.name,
      state: waiting(reason),
      lastState: {},
      ready: false,
      restartCount: 0,
      image: c.image,
      imageID: '',
      started: false,
    });
    const limits = mainSpecs.map((c) => c.resources ?? {});
    const qos = limits.every((r) => r.limits?.cpu && r.limits?.memory && JSON.stringify(r.limits) === JSON.stringify(r.requests ?? r.limits)) ? 'Guaranteed' : limits.some((r) => r.limits || r.requests) ? 'Burstable' : 'BestEffort';
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
    this.event(rt, 'Normal', 'Scheduled', `Successfully assigned ${rt.namespace}/${rt.name} to kube-sim-node`);
    this.scheduleDeadline(rt, spec.activeDeadlineSeconds);
    try {
      await this.prepareVolumes(rt, spec);
      for (const c of initSpecs) {
        const runtime = rt.containers.get(c.name)!;
        const code = await this.runContainer(rt, runtime, spec);
        // An exec session that made the container finish (the release marker) ends with it, not after.
        await Promise.race([Promise.all([...runtime.execs].map((p) => exitOf(p))), sleep(2000)]);
        if (code !== 0) {
          this.updatePod(rt, (p) => {
            p.status.phase = 'Failed';
            for (const s of p.status.containerStatuses) s.state = { waiting: { reason: 'PodInitializing' } };
          });
          return;
        }
      }
      this.updatePod(rt, (p) => setCondition(p, 'Initialized', true));
      const codes = await Promise.all(mainSpecs.map((c) => this.runWithRestarts(rt, rt.containers.get(c.name)!, spec)));
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
      if (v.persistentVolumeClaim) {
        // The claim's volume outlives the pod: one host directory per bound claim, shared by its pods.
        let claim: KObject | undefined;
        for (;;) {
          if (rt.aborted) throw new Aborted();
          claim = this.store.tryGet(PVC, rt.namespace, v.persistentVolumeClaim.claimName);
          if (claim?.status?.phase === 'Bound') break;
          await sleep(50);
        }
        const volumeDir = join(this.workRoot, 'volumes', claim!.spec.volumeName ?? claim!.metadata.uid);
        mkdirSync(volumeDir, { recursive: true });
        rt.volumes.set(v.name, volumeDir);
      }
      const source = v.secret ?? v.configMap;
      if (source) {
        // Like the kubelet, wait (ContainerCreating) until the secret or config map exists.
        const type = v.secret ? SECRET : CONFIG_MAP;
        const name = v.secret ? v.secret.secretName : v.configMap.name;
        let obj: KObject | undefined;
        for (;;) {
          if (rt.aborted) throw new Aborted();
          obj = this.store.tryGet(type, rt.namespace, name);
          if (obj || source.optional) break;
          await sleep(50);
        }
        const data: Record<string, Buffer> = {};
        for (const [k, val] of Object.entries((obj?.data ?? {}) as Record<string, string>)) data[k] = v.secret ? Buffer.from(val, 'base64') : Buffer.from(val);
        for (const [k, val] of Object.entries((obj?.binaryData ?? {}) as Record<string, string>)) data[k] = Buffer.from(val, 'base64');
        const items = (source.items as KObject[] | undefined) ?? Object.keys(data).map((k) => ({ key: k, path: k }));
        for (const item of items) {
          if (data[item.key] === undefined) continue;
          const file = join(dir, item.path);
          mkdirSync(dirname(file), { recursive: true });
          writeFileSync(file, data[item.key]!, { mode: (item as KObject).mode ?? source.defaultMode ?? 0o644 });
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
      env: { ...process.env, ...this.storageEnv, ...options.env },
    });
    rt.processes.add(child);
    child.once('exit', () => rt.processes.delete(child));
    return child;
  }

  /** An event about this pod (container-level when `c` is given), from the kubelet. */
  private event(rt: PodRuntime, type: 'Normal' | 'Warning', reason: string, message: string, c?: ContainerRuntime): void {
    const pod = this.store.tryGet(POD, rt.namespace, rt.name);
    if (!pod || pod.metadata.uid !== rt.uid) return;
    recordEvent(this.registry, pod, type, reason, message, 'kubelet', c ? `spec.${c.init ? 'initContainers' : 'containers'}{${c.name}}` : undefined);
  }

  private async pullBackOff(rt: PodRuntime, c: ContainerRuntime, message: string): Promise<never> {
    this.event(rt, 'Warning', 'Failed', `Failed to pull image "${c.spec.image}": ${message}`, c);
    this.event(rt, 'Warning', 'Failed', 'Error: ErrImagePull', c);
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
      await this.pullBackOff(rt, c, `rpc error: code = NotFound desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": ${image}: not found`);
    }
    const kaniko = this.isKanikoImage(image);
    const authfile = this.pullAuthFile(rt, podSpec);
    if (!c.resolved) {
      this.event(rt, 'Normal', 'Pulling', `Pulling image "${image}"`, c);
      // Resolve the reference first, as containerd does: a missing tag or a refused credential is ErrImagePull.
      const resolved = await this.capture(rt, 'skopeo', ['inspect', '--raw', '--tls-verify=false', ...(authfile ? ['--authfile', authfile] : ['--no-creds']), `docker://${image}`]);
      if (resolved.code !== 0) await this.pullBackOff(rt, c, pullError(image, resolved.output));
      c.resolved = true;
    }
    c.mountArgs = ((c.spec.volumeMounts ?? []) as KObject[]).flatMap((m) => ['-v', `${join(rt.volumes.get(m.name)!, m.subPath ?? '')}:${m.mountPath}${m.readOnly ? ':ro' : ''}`]);
    let command: string[] = [];
    if (!kaniko) {
      const name = `kube-sim-${rt.uid.slice(0, 8)}-${c.name}`;
      if (!c.workingContainer) {
        const pull = await this.capture(rt, 'buildah', [...BUILDAH, 'from', '--quiet', '--pull', '--tls-verify=false', ...(authfile ? ['--authfile', authfile] : []), '--name', name, image]);
        if (pull.code !== 0) await this.pullBackOff(rt, c, pullError(image, pull.output));
      }
      c.workingContainer = name;
      c.shell ??= await this.hasShell(rt, name);
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
    // The environment is resolved before the container starts: while a Secret or ConfigMap it
    // names is missing, the kubelet reports CreateContainerConfigError and tries again.
    let env = this.containerEnv(rt, c);
    while (typeof env === 'string') {
      this.setContainerStatus(rt, c, { waiting: { reason: 'CreateContainerConfigError', message: env } });
      c.state = 'waiting';
      await Promise.race([sleep(500), untilAborted(rt)]);
      env = this.containerEnv(rt, c);
    }
    const startedAt = now();
    c.startedAt = startedAt;
    c.state = 'running';
    const probed = !c.init && !!c.spec.readinessProbe;
    this.setContainerStatus(
      rt,
      c,
      { running: { startedAt } },
      {
        ready: !c.init && !probed,
        started: true,
        restartCount: c.restarts,
        containerID: `containerd://${rt.uid.replace(/-/g, '')}${c.name}`.slice(0, 77),
        imageID: image,
      },
    );
    this.event(rt, 'Normal', 'Created', `Created container ${c.name}`, c);
    this.event(rt, 'Normal', 'Started', `Started container ${c.name}`, c);
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
    const stopProbe = probed ? this.startReadinessProbe(rt, c, podSpec) : () => undefined;
    let exitCode: number;
    if (kaniko) {
      exitCode = await emulateKaniko([...(c.spec.command?.slice(1) ?? []), ...(c.spec.args ?? [])], {
        env,
        capabilities: effectiveCapabilities(c.spec.securityContext),
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
      const child = this.spawnTracked(
        rt,
        'buildah',
        [
          ...BUILDAH,
          'run',
          '--isolation',
          'chroot',
          ...c.mountArgs,
          ...Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
          ...(c.spec.workingDir ? ['--workingdir', c.spec.workingDir] : []),
          ...securityArgs(podSpec, c.spec),
          c.workingContainer!,
          '--',
          ...lingering(command, c.shell === true),
        ],
        { stdin: c.spec.stdin === true },
      );
      own.add(child);
      c.main = child;
      child.stdout!.on('data', (d: Buffer) => c.log.write(d));
      withoutBuildahNoise(child.stderr!, (d) => c.log.write(d));
      exitCode = await exitOf(child);
    }
    if (oomFired) exitCode = 137;
    clearTimeout(oomTimer);
    stopProbe();
    if (rt.aborted) throw new Aborted();
    c.state = 'terminated';
    let message = existsSync(c.terminationFile) ? readFileSync(c.terminationFile, 'utf8').slice(0, 4096) : '';
    if (!message && exitCode !== 0 && c.spec.terminationMessagePolicy === 'FallbackToLogsOnError') {
      message = c.log.text().split('\n').slice(-80).join('\n').slice(-2048);
    }
    const reason = oomFired ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error';
    const terminated = { exitCode, reason, ...(message ? { message } : {}), startedAt, finishedAt: now(), containerID: `containerd://${rt.uid}` };
    c.lastTerminated = terminated;
    this.setContainerStatus(rt, c, { terminated }, { ready: false, started: false });
    c.log.end();
    return exitCode;
  }

  /** The container's environment: env (values, secret/config map keys, pod fields) over envFrom; a missing reference is the error text. */
  private containerEnv(rt: PodRuntime, c: ContainerRuntime): Record<string, string> | string {
    const env: Record<string, string> = {};
    const pod = this.store.tryGet(POD, rt.namespace, rt.name);
    for (const from of (c.spec.envFrom ?? []) as KObject[]) {
      const ref = from.secretRef ?? from.configMapRef;
      const type = from.secretRef ? SECRET : CONFIG_MAP;
      const obj = this.store.tryGet(type, rt.namespace, ref.name);
      if (!obj) {
        if (ref.optional) continue;
        return `${from.secretRef ? 'secret' : 'configmap'} "${ref.name}" not found`;
      }
      for (const [k, val] of Object.entries((obj.data ?? {}) as Record<string, string>)) env[`${from.prefix ?? ''}${k}`] = from.secretRef ? Buffer.from(val, 'base64').toString('utf8') : val;
    }
    for (const e of (c.spec.env ?? []) as KObject[]) {
      if (e.valueFrom?.secretKeyRef || e.valueFrom?.configMapKeyRef) {
        const ref = e.valueFrom.secretKeyRef ?? e.valueFrom.configMapKeyRef;
        const secret = !!e.valueFrom.secretKeyRef;
        const obj = this.store.tryGet(secret ? SECRET : CONFIG_MAP, rt.namespace, ref.name);
        const raw = obj?.data?.[ref.key];
        if (raw === undefined) {
          if (ref.optional) continue;
          if (!obj) return `${secret ? 'secret' : 'configmap'} "${ref.name}" not found`;
          return `couldn't find key ${ref.key} in ${secret ? 'Secret' : 'ConfigMap'} ${rt.namespace}/${ref.name}`;
        }
        env[e.name] = secret ? Buffer.from(raw, 'base64').toString('utf8') : raw;
      } else if (e.valueFrom?.fieldRef) {
        let v: unknown = pod;
        for (const part of String(e.valueFrom.fieldRef.fieldPath).split('.')) v = (v as KObject | undefined)?.[part];
        env[e.name] = v === undefined ? '' : String(v);
      } else env[e.name] = String(e.value ?? '').replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string) => env[name] ?? m);
    }
    return env;
  }

  /** Runs a main container under the pod's restartPolicy: exits are restarted with CrashLoopBackOff. */
  private async runWithRestarts(rt: PodRuntime, c: ContainerRuntime, podSpec: KObject): Promise<number> {
    const policy = podSpec.restartPolicy ?? 'Always';
    for (;;) {
      const code = await this.runContainer(rt, c, podSpec);
      if (policy === 'Never' || (policy === 'OnFailure' && code === 0)) return code;
      c.restarts++;
      this.event(rt, 'Warning', 'BackOff', 'Back-off restarting failed container', c);
      const delay = Math.min(this.crashBackoffMs * 2 ** (c.restarts - 1), this.crashBackoffMaxMs);
      this.setContainerStatus(
        rt,
        c,
        {
          waiting: { reason: 'CrashLoopBackOff', message: `back-off ${formatDelay(delay)} restarting failed container=${c.name} pod=${rt.name}_${rt.namespace}(${rt.uid})` },
        },
        { lastState: { terminated: c.lastTerminated }, restartCount: c.restarts, ready: false, started: false },
      );
      c.previousLog = c.log;
      await Promise.race([sleep(delay), untilAborted(rt)]);
      c.log = new LogBuffer();
      rmSync(c.terminationFile, { force: true });
    }
  }

  /** Exec readiness probes: run in the container every periodSeconds; Ready follows the thresholds. */
  private startReadinessProbe(rt: PodRuntime, c: ContainerRuntime, podSpec: KObject): () => void {
    const probe = c.spec.readinessProbe as KObject;
    let stopped = false;
    let successes = 0;
    let failures = 0;
    let timer: NodeJS.Timeout | undefined;
    const tick = async (): Promise<void> => {
      if (stopped || rt.aborted) return;
      let ok = true;
      if (probe.exec?.command?.length && c.workingContainer) {
        const child = this.spawnTracked(rt, 'buildah', [...BUILDAH, 'run', '--isolation', 'chroot', ...c.mountArgs, ...securityArgs(podSpec, c.spec), c.workingContainer, '--', ...probe.exec.command]);
        child.stdout!.resume();
        child.stderr!.resume();
        const killer = setTimeout(() => killGroup(child), (probe.timeoutSeconds ?? 1) * 1000 + 2000);
        ok = (await exitOf(child)) === 0;
        clearTimeout(killer);
      }
      if (stopped || rt.aborted) return;
      if (ok) {
        successes++;
        failures = 0;
        if (successes >= (probe.successThreshold ?? 1)) this.setContainerStatus(rt, c, { running: { startedAt: c.startedAt } }, { ready: true, started: true, restartCount: c.restarts });
      } else {
        failures++;
        successes = 0;
        if (failures >= (probe.failureThreshold ?? 3)) this.setContainerStatus(rt, c, { running: { startedAt: c.startedAt } }, { ready: false, started: true, restartCount: c.restarts });
      }
      timer = setTimeout(() => void tick(), (probe.periodSeconds ?? 10) * 1000);
    };
    timer = setTimeout(() => void tick(), (probe.initialDelaySeconds ?? 0) * 1000);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }

  /** activeDeadlineSeconds: past it, the kubelet kills the pod: Failed, reason DeadlineExceeded. */
  private scheduleDeadline(rt: PodRuntime, seconds: number | undefined): void {
    clearTimeout(rt.deadline);
    if (seconds === undefined) return;
    const elapsed = Date.now() - rt.startedAt;
    rt.deadline = setTimeout(
      () => {
        void this.failPod(rt, 'DeadlineExceeded', 'Pod was active on the node longer than the specified deadline');
      },
      Math.max(0, seconds * 1000 - elapsed),
    );
  }

  /** The pod's imagePullSecrets merged into one auth file (missing secrets are skipped, as the kubelet does). */
  private pullAuthFile(rt: PodRuntime, podSpec: KObject): string | undefined {
    const auths: Record<string, unknown> = {};
    for (const ref of (podSpec.imagePullSecrets ?? []) as KObject[]) {
      const secret = this.store.tryGet(SECRET, rt.namespace, ref.name);
      const raw = secret?.data?.['.dockerconfigjson'] ?? secret?.data?.['.dockercfg'];
      if (!raw) continue;
      try {
        const parsed = JSON.parse(Buffer.from(raw, 'base64').toString('utf8'));
        Object.assign(auths, parsed.auths ?? parsed);
      } catch {
        // an unreadable secret contributes nothing, as in the kubelet's keyring
      }
    }
    if (!Object.keys(auths).length) return undefined;
    const file = join(rt.dir, 'pull-auth.json');
    writeFileSync(file, JSON.stringify({ auths }), { mode: 0o600 });
    return file;
  }

  /** Whether a working container's root has /bin/sh (a file or a link, as busybox's is). */
  private async hasShell(rt: PodRuntime, container: string): Promise<boolean> {
    const mount = await this.capture(rt, 'buildah', [...BUILDAH, 'mount', container]);
    if (mount.code !== 0) return false;
    try {
      lstatSync(join(mount.output.trim(), 'bin', 'sh'));
      return true;
    } catch {
      return false;
    }
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
    clearTimeout(rt.deadline);
    rt.abort.abort();
    const exits = [...rt.processes].map((p) => exitOf(p));
    for (const p of rt.processes) killGroup(p);
    await Promise.all(exits);
    for (const c of rt.containers.values()) {
      c.log.end();
      if (c.workingContainer) {
        await exitOf(spawn('buildah', [...BUILDAH, 'rm', c.workingContainer], { stdio: 'ignore', env: { ...process.env, ...this.storageEnv } }));
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
  logsOf(namespace: string, name: string, container: string | undefined, previous = false): LogBuffer {
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
    if (previous) {
      if (!c?.previousLog) throw new SimError(400, 'BadRequest', `previous terminated container "${container}" in pod "${name}" not found`);
      return c.previousLog;
    }
    if (!c || (c.state === 'waiting' && !c.lastTerminated)) {
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
    const env = this.containerEnv(rt, c);
    const envArgs = typeof env === 'string' ? [] : Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
    const child = this.spawnTracked(rt, 'buildah', [...BUILDAH, 'run', '--isolation', 'chroot', ...c.mountArgs, ...envArgs, ...securityArgs(pod.spec, c.spec), c.workingContainer, '--', ...lingering(command, c.shell === true)], {
      stdin: true,
    });
    c.execs.add(child);
    child.once('exit', () => c.execs.delete(child));
    return child;
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
    await this.failPod(rt, 'Evicted', message);
  }

  /** Kills a running pod's containers and marks it Failed with `reason` (eviction, deadline). */
  private async failPod(rt: PodRuntime, reason: string, message: string): Promise<void> {
    if (rt.aborted) return;
    this.event(rt, 'Warning', reason, message);
    rt.evicted = true;
    clearTimeout(rt.deadline);
    await this.teardown(rt);
    this.pods.delete(rt.uid);
    this.registry.mutate(
      POD,
      rt.namespace,
      rt.name,
      (p) => {
        p.status.phase = 'Failed';
        p.status.reason = reason;
        p.status.message = message;
        for (const s of [...(p.status.initContainerStatuses ?? []), ...(p.status.containerStatuses ?? [])] as KObject[]) {
          if (s.state.running) {
            s.state =
              reason === 'Evicted'
                ? { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated', startedAt: s.state.running.startedAt, finishedAt: now() } }
                : { terminated: { exitCode: 137, reason: 'Error', startedAt: s.state.running.startedAt, finishedAt: now() } };
          }
          s.ready = false;
        }
        setCondition(p, 'Ready', false);
        setCondition(p, 'ContainersReady', false);
      },
      rt.uid,
    );
  }

  async stop(): Promise<void> {
    const all = [...this.pods.values()];
    this.pods.clear();
    await Promise.all(all.map((rt) => this.teardown(rt)));
    await Promise.all([...this.pending]);
    // The node's image store is a plain vfs directory under the work root, removed with it.
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

/** The capabilities a containerd container starts with (its default OCI spec). */
const DEFAULT_CAPABILITIES = ['CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE'];

/**
 * `command` under a shell that waits 0.1 s after it exits, then exits with its status: buildah
 * 1.28's chroot relay can lose the output of a process that exits right after writing it (see the
 * header). The kubelet stops containers by killing the whole process group, so the shell changes
 * nothing there.
 */
function lingering(command: string[], hasShell: boolean): string[] {
  return hasShell ? ['/bin/sh', '-c', '"$@"; status=$?; sleep 0.1; exit $status', 'sh', ...command] : command;
}

/** What `buildah run` grants when told nothing (its default capability set). */
const BUILDAH_DEFAULT_CAPABILITIES = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'SETFCAP'];

/** The container's capability set: the runtime defaults, minus `drop` (ALL empties it), plus `add`; privileged gets everything. */
export function effectiveCapabilities(sc: KObject | undefined): Set<string> | 'all' {
  if (sc?.privileged) return 'all';
  const strip = (c: string): string => c.toUpperCase().replace(/^CAP_/, '');
  const drop = ((sc?.capabilities?.drop ?? []) as string[]).map(strip);
  const add = ((sc?.capabilities?.add ?? []) as string[]).map(strip);
  const base = drop.includes('ALL') ? [] : DEFAULT_CAPABILITIES.filter((c) => !drop.includes(c));
  return new Set([...base, ...add]);
}

/** buildah run flags for the container's securityContext: capabilities and user (container settings win over the pod's). */
export function securityArgs(podSpec: KObject, container: KObject): string[] {
  const sc = container.securityContext ?? {};
  const psc = podSpec.securityContext ?? {};
  const caps = effectiveCapabilities(sc);
  // buildah applies `--cap-drop all` after every add, so each capability outside the set is dropped by name.
  const known = [...new Set([...DEFAULT_CAPABILITIES, ...BUILDAH_DEFAULT_CAPABILITIES])];
  const args = caps === 'all' ? [] : [...known.filter((c) => !caps.has(c)).flatMap((c) => ['--cap-drop', `CAP_${c}`]), ...[...caps].flatMap((c) => ['--cap-add', `CAP_${c}`])];
  const uid = sc.runAsUser ?? psc.runAsUser;
  const gid = sc.runAsGroup ?? psc.runAsGroup;
  if (uid !== undefined) args.push('--user', gid !== undefined ? `${uid}:${gid}` : String(uid));
  return args;
}

/** A pull failure in containerd's words (the message kubectl describe shows under ErrImagePull). */
export function pullError(image: string, output: string): string {
  const text = output.trim();
  // A refused login first: a registry that asks for credentials answers 401 for any name.
  if (/unauthorized|authentication required|401|403|denied/i.test(text)) {
    return `rpc error: code = Unknown desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials`;
  }
  if (/manifest unknown|not found|name unknown|404/i.test(text)) {
    return `rpc error: code = NotFound desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": ${image}: not found`;
  }
  const last = text.split('\n').filter(Boolean).at(-1) ?? 'pull failed';
  return `rpc error: code = Unknown desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": ${last}`;
}

function formatDelay(ms: number): string {
  return ms >= 60000 ? `${Math.floor(ms / 60000)}m${Math.round((ms % 60000) / 1000)}s` : `${Math.round(ms / 100) / 10}s`;
}
