export * from './meter-error-report.store';
export * from './stripe-meter-error-report.entity';
