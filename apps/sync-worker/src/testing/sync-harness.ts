// The harness lives in @flexsync/sync-testing so benchmarks (bench/) can drive the same pipeline the specs do.
export * from '@flexsync/sync-testing';
