export * from './sync-harness';
export { timePushes, type PushTiming } from './push-timing';
export type { ReplicaJob, ReplicaReport } from './replica-worker';
export { runReplica } from './run-replica';
