export * from './stripe-sync-batch.entity';
export * from './sync-batch.store';
