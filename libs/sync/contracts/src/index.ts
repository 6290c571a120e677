export * from './stripe-sync.contract';
export * from './sync-window';
