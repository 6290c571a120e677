export * from './manual-sync-run.store';
export * from './stripe-manual-sync-run.entity';
