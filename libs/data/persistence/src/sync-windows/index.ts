export * from './stripe-sync-window.entity';
export * from './sync-window.store';
