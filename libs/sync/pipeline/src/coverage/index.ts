export * from './coverage-metrics';
export * from './coverage.activities';
export * from './sync-coverage.store';
export * from './late-usage';
