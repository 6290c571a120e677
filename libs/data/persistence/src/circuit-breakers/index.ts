export * from './circuit-breaker.store';
export * from './stripe-circuit-breaker.entity';
