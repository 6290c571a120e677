export * from './client';
export * from './clickhouse-check';
export * from './clickhouse-env';
export * from './events-processed';
export * from './migrations';
export * from './sql';
export * from './meter-usage';
