// Shared by every action entry point: one try/catch, one failure policy.
import * as core from '@actions/core';
import { describeError } from '../lib/errors.js';

/** Runs an action body; any error becomes one `core.setFailed` line, never a stack trace. */
export async function runAction(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    core.setFailed(describeError(err));
  }
}

/** A post step: cleans up and only warns when something goes wrong. */
export async function runPost(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    core.warning(`cleanup: ${describeError(err)}`);
  }
}
