export * from './sync-worker-factory';
export * from './temporal-connection';
export * from './temporal-env';
