// Post step: remove what a cancelled or crashed main step left behind. Only warns on failure.
import * as core from '@actions/core';
import { runPost } from '../../github/run.js';
import { State } from './state.js';

/** The action body; index.ts calls it, and so can @github/local-action. */
export function run(): Promise<void> {
  return runPost(async () => {
    const builder = core.getState(State.builder);
    const runId = core.getState(State.runId);
    if (!runId) return; // main never got far enough to create anything
    if (builder === 'buildah') {
      // The builder removes its private storage itself; it is still there only if main was killed.
      const { cleanupRun } = await import('../../builders/buildah/builder.js');
      if (await cleanupRun(runId)) core.info(`removed the buildah storage left by run ${runId}`);
      return;
    }
    // Pods and secrets carry the run id as a label: one label selector removes them all.
    const namespace = core.getState(State.namespace);
    const { KanikoBuilder } = await import('../../builders/kaniko/builder.js');
    await new KanikoBuilder({ runId, preflight: false, ...(namespace ? { namespace } : {}) }).cleanup();
    core.info(`removed the kaniko pods and secrets of run ${runId}`);
  });
}
