// What main hands to post (actions/checkout's state-helper pattern): one name per key.
export const State = {
  builder: 'builder',
  runId: 'run-id',
  namespace: 'namespace',
} as const;
