export * from './stripe-event-sync.workflow';
export * from './stripe-scheduled-sync.workflow';
export * from './stripe-tenant-coverage.workflow';
export * from './stripe-reconciliation.workflow';
export * from './stripe-scheduled-reconciliation.workflow';
