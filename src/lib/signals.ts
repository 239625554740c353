// Cancellation from the outside: Ctrl-C on the CLI, and the runner's SIGINT then SIGTERM when
// a job is cancelled. One AbortSignal for the whole run; builds and smoke tests honour it.

export interface Cancellation {
  signal: AbortSignal;
  /** Stops listening; call it once the run is over. */
  dispose(): void;
}

export function abortOnSignals(onCancel: () => void = () => undefined): Cancellation {
  const controller = new AbortController();
  const cancel = (): void => {
    if (controller.signal.aborted) return;
    onCancel();
    controller.abort();
  };
  process.once('SIGINT', cancel);
  process.once('SIGTERM', cancel);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', cancel);
      process.off('SIGTERM', cancel);
    },
  };
}
