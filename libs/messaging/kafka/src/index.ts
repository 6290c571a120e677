export * from './contracts/stripe-customer-events';
export * from './errors';
export * from './kafka-check';
export * from './kafka-client';
export * from './kafka-consumer';
export * from './kafka-metrics';
export * from './kafka-publisher';
export * from './topics';
