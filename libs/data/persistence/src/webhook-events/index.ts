export * from './stripe-webhook-event.entity';
export * from './webhook-event.store';
