export * from './stripe-config-audit.entity';
export * from './stripe-config.store';
export * from './stripe-tenant-config.entity';
