// The simulator's stand-in for the kaniko executor binary: it parses the real executor flags and
// performs the build they describe with buildah (vfs storage, chroot isolation), pushing to the
// destinations and writing the digest files, so what lands in the registry is a real image.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';

export interface KanikoHost {
  /** Maps a path inside the executor container to the host (volume mounts, termination log). */
  hostPath(containerPath: string): string;
  log(text: string): void;
  /** Runs a command on the host, streaming its output into the container log; resolves to the exit code. */
  run(command: string, args: string[], env?: Record<string, string>, quiet?: boolean): Promise<number>;
  env: Record<string, string>;
  /** The executor container's capabilities (what its securityContext leaves it). */
  capabilities?: Set<string> | 'all';
}

/**
 * What the executor needs as root without privilege: unpacking base images (ownership, modes,
 * setuid bits, `security.capability` xattrs such as ping's) and running RUN steps as other users.
 */
export const KANIKO_REQUIRED_CAPABILITIES = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'SETGID', 'SETUID', 'SETFCAP'];

const VALUE_FLAGS = new Set([
  'dockerfile',
  'context',
  'destination',
  'build-arg',
  'label',
  'digest-file',
  'image-name-with-digest-file',
  'image-name-tag-with-digest-file',
  'cache-repo',
  'cache-ttl',
  'cache-dir',
  'push-retry',
  'insecure-registry',
  'skip-tls-verify-registry',
  'registry-mirror',
  'target',
  'verbosity',
  'log-format',
  'snapshot-mode',
  'snapshotMode',
  'tar-path',
  'tarPath',
  'oci-layout-path',
  'custom-platform',
  'customPlatform',
  'context-sub-path',
  'image-fs-extract-retry',
  'registry-certificate',
  'kaniko-dir',
  'ignore-path',
  'compression',
  'compression-level',
  'git',
  'image-download-retry',
]);
const BOOL_FLAGS = new Set([
  'insecure',
  'insecure-pull',
  'skip-tls-verify',
  'skip-tls-verify-pull',
  'cache',
  'cache-copy-layers',
  'cache-run-layers',
  'no-push',
  'reproducible',
  'single-snapshot',
  'cleanup',
  'use-new-run',
  'force',
  'log-timestamp',
  'skip-unused-stages',
  'ignore-var-run',
  'compressed-caching',
  'skip-default-registry-fallback',
  'push-ignore-immutable-tag-errors',
]);
const SHORT: Record<string, string> = { f: 'dockerfile', c: 'context', d: 'destination', v: 'verbosity' };

export interface KanikoFlags {
  values: Map<string, string[]>;
  bools: Map<string, boolean>;
}

/** Parses executor flags the way cobra/pflag does (`--f=v`, `--f v`, `-d v`, `--bool[=true|false]`). */
export function parseKanikoFlags(args: string[]): KanikoFlags {
  const values = new Map<string, string[]>();
  const bools = new Map<string, boolean>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const m = /^--?([A-Za-z][\w-]*)(?:=(.*))?$/s.exec(arg);
    if (!m) throw new Error(`accepts 0 arg(s), received 1: unexpected argument ${JSON.stringify(arg)}`);
    const name = arg.startsWith('--') ? m[1]! : (SHORT[m[1]!] ?? m[1]!);
    if (BOOL_FLAGS.has(name)) {
      if (m[2] !== undefined && !/^(true|false|1|0)$/.test(m[2])) throw new Error(`invalid argument ${JSON.stringify(m[2])} for "--${name}" flag: parse error`);
      bools.set(name, m[2] === undefined || m[2] === 'true' || m[2] === '1');
    } else if (VALUE_FLAGS.has(name)) {
      let value = m[2];
      if (value === undefined) {
        value = args[++i];
        if (value === undefined) throw new Error(`flag needs an argument: --${name}`);
      }
      values.set(name, [...(values.get(name) ?? []), value]);
    } else throw new Error(`unknown flag: --${name}`);
  }
  return { values, bools };
}

const one = (f: KanikoFlags, name: string): string | undefined => f.values.get(name)?.at(-1);
const many = (f: KanikoFlags, name: string): string[] => f.values.get(name) ?? [];

function registryHost(ref: string): string {
  const first = ref.split('/')[0]!;
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : 'docker.io';
}

/** Runs a kaniko executor invocation; resolves to the process exit code kaniko would give. */
export async function emulateKaniko(args: string[], host: KanikoHost): Promise<number> {
  let flags: KanikoFlags;
  try {
    flags = parseKanikoFlags(args);
  } catch (err) {
    host.log(`Error: ${(err as Error).message}\nRun 'executor --help' for usage.\n`);
    return 1;
  }
  const fail = (message: string): number => {
    host.log(`error building image: ${message}\n`);
    return 1;
  };
  const caps = host.capabilities ?? 'all';
  const missing = caps === 'all' ? [] : KANIKO_REQUIRED_CAPABILITIES.filter((c) => !caps.has(c));
  if (missing.length) {
    const what = missing.includes('SETFCAP') ? 'failed to write "security.capability" attribute' : 'failed to change ownership';
    return fail(`error building stage: failed to get filesystem from image: ${what}: operation not permitted (the container lacks ${missing.map((c) => `CAP_${c}`).join(', ')})`);
  }
  const destinations = many(flags, 'destination');
  const noPush = flags.bools.get('no-push') === true;
  if (destinations.length === 0 && !noPush) {
    host.log('Error: you must provide --destination, or use --no-push\n');
    return 1;
  }
  const context = one(flags, 'context') ?? '/workspace/';
  const scheme = /^([a-z0-9]+):\/\//.exec(context)?.[1];
  if (scheme && scheme !== 'dir') {
    return fail(`kube-sim executor: build context scheme ${scheme}:// is not available in the simulator (use dir://)`);
  }
  const contextDir = host.hostPath(context.replace(/^dir:\/\//, ''));
  if (!existsSync(contextDir)) return fail(`getting build context: stat ${context}: no such file or directory`);
  const dockerfileArg = one(flags, 'dockerfile') ?? 'Dockerfile';
  const dockerfile = isAbsolute(dockerfileArg) ? host.hostPath(dockerfileArg) : join(contextDir, dockerfileArg);
  if (!existsSync(dockerfile)) return fail(`please provide a valid path to a Dockerfile within the build context with --dockerfile: ${dockerfileArg}`);

  const work = mkdtempSync(join(tmpdir(), 'kube-sim-kaniko-'));
  try {
    // Registries kaniko treats as insecure (plain HTTP / unverified TLS) become a registries.conf.
    const insecure = new Set([...many(flags, 'insecure-registry'), ...many(flags, 'skip-tls-verify-registry')]);
    const registriesConf = join(work, 'registries.conf');
    writeFileSync(registriesConf, [...insecure].map((h) => `[[registry]]\nlocation = "${h}"\ninsecure = true\n`).join('\n'));
    const env = { CONTAINERS_REGISTRIES_CONF: registriesConf };
    const dockerConfigDir = host.env.DOCKER_CONFIG ?? '/kaniko/.docker';
    const authFile = host.hostPath(join(dockerConfigDir, 'config.json'));
    const auth = existsSync(authFile) ? ['--authfile', authFile] : [];
    if (auth.length) host.log(`INFO Using registry credentials from ${join(dockerConfigDir, 'config.json')}\n`);
    if (flags.bools.get('cache')) {
      host.log(`INFO Layer cache requested (repo ${one(flags, 'cache-repo') ?? '<destination>/cache'}, ttl ${one(flags, 'cache-ttl') ?? '336h'}): kube-sim builds without it\n`);
    }
    const pullInsecure = flags.bools.get('insecure-pull') || flags.bools.get('skip-tls-verify-pull');
    const iidFile = join(work, 'iid');
    host.log(`INFO Building ${dockerArgDisplay(dockerfileArg)} in ${context}\n`);
    const budArgs = [
      '--storage-driver',
      'vfs',
      'bud',
      '--isolation',
      'chroot',
      '--format',
      'docker',
      '--iidfile',
      iidFile,
      '-f',
      dockerfile,
      ...auth,
      ...(pullInsecure ? ['--tls-verify=false'] : []),
      ...many(flags, 'build-arg').flatMap((a) => ['--build-arg', a]),
      ...many(flags, 'label').flatMap((l) => ['--label', l]),
      ...(one(flags, 'target') ? ['--target', one(flags, 'target')!] : []),
      contextDir,
    ];
    const budCode = await host.run('buildah', budArgs, env);
    if (budCode !== 0) return fail(`buildah bud exited with ${budCode}`);
    const imageId = readFileSync(iidFile, 'utf8').trim();
    try {
      let digest = '';
      if (!noPush) {
        const retries = Number(one(flags, 'push-retry') ?? '0');
        const pushInsecure = flags.bools.get('insecure') || flags.bools.get('skip-tls-verify');
        for (const destination of destinations) {
          const digestFile = join(work, 'digest');
          let code = 1;
          for (let attempt = 0; attempt <= retries && code !== 0; attempt++) {
            if (attempt > 0) host.log(`INFO Retrying push to ${destination} (attempt ${attempt + 1})\n`);
            code = await host.run(
              'buildah',
              ['--storage-driver', 'vfs', 'push', '--digestfile', digestFile, ...auth, ...(pushInsecure || insecure.has(registryHost(destination)) ? ['--tls-verify=false'] : []), imageId, `docker://${destination}`],
              env,
            );
          }
          if (code !== 0) return fail(`failed to push to destination ${destination}`);
          digest = readFileSync(digestFile, 'utf8').trim();
          host.log(`INFO Pushed ${destination.replace(/:[^:/@]+$/, '')}@${digest}\n`);
        }
      }
      const digestPath = one(flags, 'digest-file');
      if (digestPath && digest) writeFileSync(host.hostPath(digestPath), digest);
      const namesPath = one(flags, 'image-name-with-digest-file');
      if (namesPath && digest) {
        writeFileSync(host.hostPath(namesPath), destinations.map((d) => `${d.replace(/:[^:/@]+$/, '')}@${digest}\n`).join(''));
      }
      const tagsPath = one(flags, 'image-name-tag-with-digest-file');
      if (tagsPath && digest) {
        writeFileSync(host.hostPath(tagsPath), JSON.stringify(destinations.map((d) => ({ image: d, digest }))));
      }
      return 0;
    } finally {
      await host.run('buildah', ['--storage-driver', 'vfs', 'rmi', '-f', imageId], {}, true).catch(() => undefined);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function dockerArgDisplay(dockerfile: string): string {
  return dockerfile.includes('/') ? dockerfile : `./${dockerfile}`;
}
