export * from './sync-harness';
export type { ReplicaJob, ReplicaReport } from './replica-worker';
export { runReplica } from './run-replica';
