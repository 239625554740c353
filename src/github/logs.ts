// The build job's log in the Actions UI: one group per image. Groups cannot interleave or nest.
// With one build at a time, each image's build streams live in its group; its smoke tests run
// beside the next build, so their lines are kept and shown after the outcome line, as a group of
// their own, once the outcome is known. With several builds at a time, a start line is printed
// live and the image's whole log follows as one group when its outcome is known. Build and smoke
// output is foreign: it is printed with workflow commands stopped (foreign.ts), and our own
// commands only in between.
import * as core from '@actions/core';
import type { ImageReport } from '../pipeline/pipeline.js';
import type { ForeignOutput } from './foreign.js';

export interface ImageLogs {
  onStart(name: string): void;
  log(name: string, line: string): void;
  onBuilt(name: string): void;
  onSettled(report: ImageReport): void;
}

export function groupedLogs(live: boolean, foreign: ForeignOutput): ImageLogs {
  const buffered = new Map<string, string[]>();
  let streaming: string | undefined; // the image whose build group is open (live mode)
  const waiting: ImageReport[] = []; // outcomes that came while a build group was open
  const show = (report: ImageReport): void => {
    // One line starting with the (validated) image name: foreign text in the reason cannot start a command.
    const title = `${report.name}: ${report.status}${report.reference ? ` ${report.reference}` : ''}${report.reason ? ` (${report.reason.replace(/[\r\n]+/g, ' ')})` : ''}`;
    const lines = buffered.get(report.name) ?? [];
    buffered.delete(report.name);
    // Live, the build was streamed already: the outcome, then what came after (smoke tests).
    if (live) foreign.ours(() => core.info(title));
    if (lines.length > 0) {
      foreign.ours(() => core.startGroup(live ? `${report.name}: smoke tests` : title));
      for (const line of lines) foreign.print(line);
      foreign.ours(() => core.endGroup());
    } else if (!live) foreign.ours(() => core.info(title));
    foreign.resume();
    if (report.status === 'failed') core.error(`${report.name}: ${report.reason ?? 'failed'}`, { title: `build-image: ${report.name}` });
  };
  const closeStream = (): void => {
    foreign.ours(() => core.endGroup());
    streaming = undefined;
    for (const report of waiting.splice(0)) show(report);
  };
  return {
    onStart(name) {
      foreign.ours(() => {
        if (live && streaming === undefined) {
          core.startGroup(`${name}: building`);
          streaming = name;
        } else core.info(`▶ ${name}: started`);
      });
    },
    log(name, line) {
      if (name === '' || name === streaming) foreign.print(line);
      else (buffered.get(name) ?? buffered.set(name, []).get(name)!).push(line);
    },
    onBuilt(name) {
      if (name === streaming) closeStream();
    },
    onSettled(report) {
      if (report.name === streaming) closeStream(); // its build failed or was cancelled
      if (streaming !== undefined) waiting.push(report);
      else show(report);
    },
  };
}
