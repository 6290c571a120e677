export * from './scheduled-sync.contract';
export * from './stripe-sync.contract';
export * from './sync-window';
