export * from './stripe-sync-value-remainder.entity';
export * from './value-remainder.store';
