// Image minimums (P2): what an image must contain to be a Coder base image, read from the
// image itself in the registry without running it. The layers (small ones read whole, large
// ones streamed) are replayed in order as a file tree (headers only), honouring whiteouts (`.wh.<name>` deletes a lower
// file, `.wh..wh..opq` hides a lower directory's contents), then the rules look up paths
// through symlinks (e.g. /bin/sh -> busybox, /bin -> usr/bin).
import { posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { UserError } from '../lib/errors.js';
import { mapLimit } from '../lib/concurrency.js';
import { formatRepository, type RegistryClient, type RepositoryName } from '../systems/registry/client.js';
import type { Descriptor, ImageConfig } from '../systems/registry/types.js';
import { TarReader } from './tar.js';

// ---------- the file tree (pure) ----------

export interface TreeEntry {
  /** As in the tar: `bin/sh`, `./etc/passwd`, `usr/bin/`. */
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'link' | 'other';
  linkname?: string;
  mode?: number;
  size?: number;
}

interface Node {
  type: 'file' | 'directory' | 'symlink' | 'other';
  linkname?: string;
  mode: number;
  size: number;
}

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE = '.wh..wh..opq';

function clean(path: string): string {
  const p = posix.normalize(`/${path}`).replace(/\/+$/, '');
  return p === '' ? '/' : p;
}

/** The union of an image's layers, as far as paths, types, links and sizes go. */
export class LayeredTree {
  private readonly nodes = new Map<string, Node>();

  /** Applies one layer: first its whiteouts against the layers below, then its entries. */
  applyLayer(entries: readonly TreeEntry[]): void {
    const added: TreeEntry[] = [];
    for (const entry of entries) {
      const path = clean(entry.path);
      const base = posix.basename(path);
      const dir = posix.dirname(path);
      if (base === OPAQUE) this.removeChildren(dir);
      else if (base.startsWith(WHITEOUT_PREFIX)) this.remove(posix.join(dir, base.slice(WHITEOUT_PREFIX.length)));
      else added.push(entry);
    }
    for (const entry of added) {
      const path = clean(entry.path);
      if (path === '/') continue;
      if (entry.type === 'link') {
        // a hard link is another name for a file of this same archive
        const target = this.nodes.get(clean(entry.linkname ?? ''));
        this.set(path, target ? { ...target } : { type: 'file', mode: entry.mode ?? 0o644, size: entry.size ?? 0 });
        continue;
      }
      const existing = this.nodes.get(path);
      // a directory entry over a directory keeps its contents; anything else replaces the path
      if (!(existing?.type === 'directory' && entry.type === 'directory') && existing) this.remove(path);
      this.set(path, { type: entry.type, linkname: entry.linkname ?? undefined, mode: entry.mode ?? (entry.type === 'directory' ? 0o755 : 0o644), size: entry.size ?? 0 });
    }
  }

  private set(path: string, node: Node): void {
    this.nodes.set(path, node);
    // parents exist implicitly (tars often omit them)
    for (let dir = posix.dirname(path); dir !== '/' && !this.nodes.has(dir); dir = posix.dirname(dir)) {
      this.nodes.set(dir, { type: 'directory', mode: 0o755, size: 0 });
    }
  }

  private remove(path: string): void {
    this.nodes.delete(path);
    this.removeChildren(path);
  }

  private removeChildren(dir: string): void {
    const prefix = dir === '/' ? '/' : `${dir}/`;
    for (const key of [...this.nodes.keys()]) if (key.startsWith(prefix) && key !== dir) this.nodes.delete(key);
  }

  /**
   * Follows symlinks (in every component, relative or absolute, at most 40) and returns the
   * final path and node, or undefined when something on the way is missing or loops.
   */
  resolve(path: string): { path: string; node: Node } | undefined {
    let pending = clean(path).split('/').filter(Boolean);
    let current = '/';
    let hops = 0;
    while (pending.length > 0) {
      const part = pending.shift()!;
      if (part === '.') continue;
      if (part === '..') {
        current = posix.dirname(current);
        continue;
      }
      const next = posix.join(current, part);
      const node = this.nodes.get(next);
      if (!node) return undefined;
      if (node.type === 'symlink') {
        if (++hops > 40) return undefined;
        const target = node.linkname ?? '';
        pending = [...target.split('/').filter(Boolean), ...pending];
        current = target.startsWith('/') ? '/' : current;
        continue;
      }
      if (pending.length > 0 && node.type !== 'directory') return undefined;
      current = next;
    }
    const node = this.nodes.get(current);
    return node ? { path: current, node } : current === '/' ? { path: '/', node: { type: 'directory', mode: 0o755, size: 0 } } : undefined;
  }

  has(path: string): boolean {
    return this.nodes.has(clean(path));
  }
}

// ---------- the rules (pure) ----------

export interface RuleResult {
  id: 'shell' | 'download-tool' | 'git' | 'ca-certificates' | 'non-root-user';
  title: string;
  passed: boolean;
  detail: string;
}

export const MINIMUMS_PROFILES = ['coder'] as const;
export type MinimumsProfile = (typeof MINIMUMS_PROFILES)[number];

const STANDARD_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
const CA_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt', // Debian, Ubuntu, Alpine, Gentoo
  '/etc/pki/tls/certs/ca-bundle.crt', // Fedora, RHEL, CentOS
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem', // RHEL 7+
  '/etc/ssl/ca-bundle.pem', // openSUSE
  '/etc/ssl/cert.pem', // Alpine, macOS-style
  '/etc/pki/tls/cacert.pem', // OpenELEC
];

function findExecutable(tree: LayeredTree, names: readonly string[], path: readonly string[]): { name: string; at: string; resolved: string } | undefined {
  for (const name of names) {
    for (const dir of path) {
      const at = posix.join(dir, name);
      const found = tree.resolve(at);
      if (found && found.node.type === 'file' && (found.node.mode & 0o111) !== 0) return { name, at, resolved: found.path };
    }
  }
  return undefined;
}

function describeFound(f: { at: string; resolved: string }): string {
  return f.at === f.resolved ? f.at : `${f.at} -> ${f.resolved}`;
}

/** /etc/passwd lines -> name -> uid */
export function parsePasswd(text: string): Map<string, string> {
  const users = new Map<string, string>();
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length >= 3 && fields[0]) users.set(fields[0], fields[2]!);
  }
  return users;
}

export function checkUser(user: string | undefined, passwd: string | undefined): RuleResult {
  const title = 'a non-root default user';
  const spec = (user ?? '').trim();
  if (spec === '') return { id: 'non-root-user', title, passed: false, detail: 'the image has no USER: containers run as root' };
  const name = spec.split(':')[0]!;
  if (name === '0' || name === 'root') return { id: 'non-root-user', title, passed: false, detail: `USER is '${spec}' (root)` };
  if (/^\d+$/.test(name)) return { id: 'non-root-user', title, passed: true, detail: `USER ${spec}` };
  const uid = passwd !== undefined ? parsePasswd(passwd).get(name) : undefined;
  if (passwd === undefined) return { id: 'non-root-user', title, passed: false, detail: `USER '${spec}' but the image has no /etc/passwd to define it` };
  if (uid === undefined) return { id: 'non-root-user', title, passed: false, detail: `USER '${spec}' is not in /etc/passwd` };
  if (uid === '0') return { id: 'non-root-user', title, passed: false, detail: `USER '${spec}' has uid 0 in /etc/passwd (root)` };
  return { id: 'non-root-user', title, passed: true, detail: `USER ${spec} (uid ${uid})` };
}

/** Evaluates the Coder minimums against a replayed tree and the image config. */
export function evaluateMinimums(tree: LayeredTree, config: ImageConfig, passwd: string | undefined): RuleResult[] {
  const envPath =
    (config.config?.Env ?? [])
      .find((e) => e.startsWith('PATH='))
      ?.slice(5)
      .split(':')
      .filter((d) => d.startsWith('/')) ?? [];
  const path = [...new Set([...envPath, ...STANDARD_PATH])];
  const results: RuleResult[] = [];

  const shell = findExecutable(tree, ['sh', 'bash'], ['/bin', '/usr/bin']);
  results.push({ id: 'shell', title: 'a shell (/bin/sh or bash)', passed: !!shell, detail: shell ? describeFound(shell) : 'no executable /bin/sh, /usr/bin/sh or bash' });

  const tool = findExecutable(tree, ['curl', 'wget', 'busybox'], path);
  results.push({ id: 'download-tool', title: 'curl, wget or busybox', passed: !!tool, detail: tool ? describeFound(tool) : `none of curl, wget, busybox in ${path.join(':')}` });

  const git = findExecutable(tree, ['git'], path);
  results.push({ id: 'git', title: 'git', passed: !!git, detail: git ? describeFound(git) : `no git in ${path.join(':')}` });

  const ca = CA_BUNDLES.map((p) => ({ p, found: tree.resolve(p) })).find((c) => c.found && c.found.node.type === 'file' && c.found.node.size > 0);
  results.push({
    id: 'ca-certificates',
    title: 'CA certificates',
    passed: !!ca,
    detail: ca ? (ca.p === ca.found!.path ? ca.p : `${ca.p} -> ${ca.found!.path}`) : `no CA bundle (looked for ${CA_BUNDLES.join(', ')})`,
  });

  results.push(checkUser(config.config?.User, passwd));
  return results;
}

// ---------- reading the image (registry) ----------

export interface MinimumsReport {
  image: string;
  digest: string;
  platform: string;
  passed: boolean;
  rules: RuleResult[];
}

/** A gzip'd layer up to this size (compressed) is read whole; a larger one is streamed. */
const WHOLE_LAYER_LIMIT = 8 * 1024 * 1024;
/** ...and gunzipped whole only up to this size, so a small layer that inflates hugely is streamed. */
const WHOLE_LAYER_INFLATED_LIMIT = 64 * 1024 * 1024;

/** A small gzip'd layer's tar, or undefined when it inflates past the limit (then it is streamed). */
async function wholeLayer(client: RegistryClient, repo: RepositoryName, layer: Descriptor): Promise<Buffer | undefined> {
  const compressed = await client.getBlobBytes(repo, layer.digest, layer.size);
  try {
    // One output buffer the size gzip's trailer gives (ISIZE): fresh memory is slow to touch
    // on a VM, and the default 16 KB pieces are copied again into one buffer at the end.
    const inflated = compressed.length >= 4 ? compressed.readUInt32LE(compressed.length - 4) : 0;
    const chunkSize = Math.min(Math.max(inflated + 1, 64 * 1024), WHOLE_LAYER_INFLATED_LIMIT);
    return process.getBuiltinModule('node:zlib').gunzipSync(compressed, { chunkSize, maxOutputLength: WHOLE_LAYER_INFLATED_LIMIT });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return undefined;
    throw err;
  }
}

async function readLayer(client: RegistryClient, repo: RepositoryName, layer: Descriptor, wholeLimit: number): Promise<{ entries: TreeEntry[]; passwd?: string }> {
  if (/zstd/.test(layer.mediaType)) throw new UserError(`layer ${layer.digest} is zstd-compressed, which check-image cannot read yet`);
  const entries: TreeEntry[] = [];
  let passwd: Buffer[] | undefined;
  const gzip = /gzip/.test(layer.mediaType);
  const reader = new TarReader((h) => {
    entries.push({ path: h.name, type: h.type, linkname: h.linkname, mode: h.mode, size: h.size });
    if (h.type !== 'file' || clean(h.name) !== '/etc/passwd' || h.size >= 1024 * 1024) return undefined;
    const chunks: Buffer[] = (passwd = []);
    return { data: (chunk) => chunks.push(Buffer.from(chunk)) };
  });
  const read = async (source: AsyncIterable<Buffer>): Promise<void> => {
    for await (const chunk of source) reader.write(chunk);
    reader.end();
  };
  try {
    if (gzip && layer.size <= wholeLimit) {
      // A small layer is fetched whole and gunzipped in one call: a gunzip stream hands every
      // 16 KB to the thread pool and back, which for a few MB costs twice the inflating itself.
      const whole = await wholeLayer(client, repo, layer);
      if (whole) {
        reader.write(whole);
        reader.end();
        return { entries, passwd: passwd && Buffer.concat(passwd).toString('utf8') };
      }
    }
    await (gzip ? pipeline(await client.getBlob(repo, layer.digest), process.getBuiltinModule('node:zlib').createGunzip(), read) : pipeline(await client.getBlob(repo, layer.digest), read));
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`layer ${layer.digest} of ${formatRepository(repo)} is not a readable tar${gzip ? '.gz' : ''}: ${(err as Error).message}`);
  }
  return { entries, passwd: passwd && Buffer.concat(passwd).toString('utf8') };
}

/** Reads an image from the registry and checks the minimums, rule by rule. */
export async function checkImageMinimums(
  client: RegistryClient,
  repo: RepositoryName,
  reference: string,
  options: { profile?: MinimumsProfile; platform?: string; /** gzip'd layers up to this size are read whole (default 8 MiB); 0 streams every layer. */ wholeLayerLimit?: number } = {},
): Promise<MinimumsReport> {
  const top = await client.requireManifest(repo, reference);
  const { image: manifest, platform } = await client.imageFor(repo, top, options.platform);
  const digest = top.digest;
  // The config and the layers are fetched together; the layers are applied in order. node:zlib
  // loads while they are on their way.
  if (manifest.layers.some((l) => /gzip/.test(l.mediaType))) setImmediate(() => process.getBuiltinModule('node:zlib'));
  const [config, layers] = await Promise.all([client.imageConfig(repo, manifest), mapLimit(manifest.layers, 4, (layer) => readLayer(client, repo, layer, options.wholeLayerLimit ?? WHOLE_LAYER_LIMIT))]);
  const tree = new LayeredTree();
  let passwd: string | undefined;
  for (const { entries, passwd: layerPasswd } of layers) {
    tree.applyLayer(entries);
    if (layerPasswd !== undefined) passwd = layerPasswd;
  }
  if (passwd !== undefined && !tree.has('/etc/passwd')) passwd = undefined; // deleted by a later layer
  const rules = evaluateMinimums(tree, config, passwd);
  return {
    image: `${formatRepository(repo)}${reference.startsWith('sha256:') ? '@' : ':'}${reference}`,
    digest,
    platform: platform ?? `${config.os ?? 'linux'}/${config.architecture ?? 'unknown'}`,
    passed: rules.every((r) => r.passed),
    rules,
  };
}

/** The text report: one line per rule. */
export function formatMinimumsReport(report: MinimumsReport): string {
  const lines = [`${report.image} (${report.digest}, ${report.platform})`];
  for (const r of report.rules) lines.push(`  ${r.passed ? 'ok  ' : 'FAIL'} ${r.title}: ${r.detail}`);
  const failed = report.rules.filter((r) => !r.passed).length;
  lines.push(failed === 0 ? 'all image minimums met' : `${failed} of ${report.rules.length} image minimums not met`);
  return `${lines.join('\n')}\n`;
}
