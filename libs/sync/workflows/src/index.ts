export * from './stripe-event-sync.workflow';
