export * from './rate-budget.store';
export * from './stripe-rate-budget.entity';
