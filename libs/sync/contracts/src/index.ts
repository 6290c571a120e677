export * from './reconciliation.contract';
export * from './scheduled-sync.contract';
export * from './stripe-sync.contract';
export * from './sync-window';
export * from './sync-workflow-id';
export * from './window-planner';
