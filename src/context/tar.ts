// A build context as a tar stream (what kaniko's pod and preview builds receive): the entries of
// listContext under a prefix, then any extra files (e.g. the edited Dockerfile, a marker).
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { listContext } from './files.js';

export interface ExtraFile {
  name: string;
  content: string;
  mode?: number;
}

export interface ContextTarOptions {
  /** Directory inside the archive that holds the context, e.g. `context`. Default: the root. */
  prefix?: string;
  /** Files appended after the context, in order. */
  extra?: readonly ExtraFile[];
  /** A fixed mtime for every entry (deterministic archives); default: the files' own. */
  mtime?: Date;
}

export function contextTar(contextDir: string, options: ContextTarOptions = {}): Readable {
  const archive = pack();
  const prefix = options.prefix ? `${options.prefix.replace(/\/+$/, '')}/` : '';
  const write = async (): Promise<void> => {
    if (prefix) archive.entry({ name: prefix.slice(0, -1), type: 'directory', mode: 0o755, ...(options.mtime ? { mtime: options.mtime } : {}) });
    for (const entry of listContext(contextDir)) {
      const common = { name: prefix + entry.path, mode: entry.mode, mtime: options.mtime ?? entry.mtime, uid: 0, gid: 0 };
      if (entry.type === 'symlink') archive.entry({ ...common, type: 'symlink', linkname: entry.linkname });
      else if (entry.type === 'directory') archive.entry({ ...common, type: 'directory' });
      else {
        await new Promise<void>((resolve, reject) => {
          const sink = archive.entry({ ...common, size: entry.size }, (err) => (err ? reject(err) : resolve()));
          createReadStream(entry.fullPath).on('error', reject).pipe(sink);
        });
      }
    }
    for (const file of options.extra ?? []) archive.entry({ name: file.name, mode: file.mode ?? 0o644, ...(options.mtime ? { mtime: options.mtime } : {}) }, file.content);
    archive.finalize();
  };
  write().catch((err: unknown) => archive.destroy(err as Error));
  return archive as unknown as Readable;
}
