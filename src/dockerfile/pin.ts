// B3: children are built against the digest their parent just produced, never a moving tag.
// Given a Dockerfile, the FROM lines the plan resolved and the parents' pinned references
// (`host/repo@sha256:…`), rewrite each parent FROM to the pinned reference, or, when the whole
// reference comes from an ARG (`FROM ${BASE}`), set that build argument instead so every
// other use of the ARG sees the same value. Pure: text in, text out.
import { DockerfileParser } from 'dockerfile-ast';
import type { PlannedFrom } from '../plan/types.js';
import { UserError } from '../lib/errors.js';

export interface Pin {
  /** 1-based line of the FROM instruction. */
  line: number;
  parent: string;
  /** The reference as planned (before pinning). */
  from: string;
  /** The pinned reference, `repo@sha256:…`. */
  to: string;
  /** Set when the pin went through a build argument rather than the FROM text. */
  viaArg?: string;
}

export interface PinnedDockerfile {
  dockerfile: string;
  buildArgs: Record<string, string>;
  pins: Pin[];
}

/** Offsets of the start of each line, so dockerfile-ast's line/character ranges map to text. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return starts;
}

/**
 * Pins every FROM of `from` that names a parent template to `pinned[parent]`.
 * `buildArgs` are the image's build arguments; the result holds them plus any pinned ARG.
 */
export function pinParents(dockerfile: string, from: readonly PlannedFrom[], buildArgs: Readonly<Record<string, string>>, pinned: Readonly<Record<string, string>>): PinnedDockerfile {
  const args: Record<string, string> = { ...buildArgs };
  const pins: Pin[] = [];
  const edits: { start: number; end: number; text: string }[] = [];
  const parsed = DockerfileParser.parse(dockerfile);
  const starts = lineStarts(dockerfile);
  const fromsByLine = new Map(parsed.getFROMs().map((f) => [f.getRange().start.line + 1, f]));

  for (const entry of from) {
    if (entry.parent === undefined) continue;
    const to = pinned[entry.parent];
    if (to === undefined) throw new Error(`no pinned reference for parent '${entry.parent}'`);
    if (entry.viaArg !== undefined) {
      args[entry.viaArg] = to;
      pins.push({ line: entry.line, parent: entry.parent, from: entry.ref, to, viaArg: entry.viaArg });
      continue;
    }
    const instruction = fromsByLine.get(entry.line);
    const range = instruction?.getImageRange();
    if (!instruction || !range) {
      throw new UserError(`cannot pin '${entry.ref}': the Dockerfile has no FROM with an image on line ${entry.line}`);
    }
    edits.push({
      start: starts[range.start.line]! + range.start.character,
      end: starts[range.end.line]! + range.end.character,
      text: to,
    });
    pins.push({ line: entry.line, parent: entry.parent, from: entry.ref, to });
  }

  // Apply from the end so earlier offsets stay valid.
  let text = dockerfile;
  for (const edit of edits.sort((a, b) => b.start - a.start)) {
    text = text.slice(0, edit.start) + edit.text + text.slice(edit.end);
  }
  return { dockerfile: text, buildArgs: args, pins };
}
