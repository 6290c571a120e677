export * from './client';
export * from './clickhouse-check';
export * from './events-processed';
export * from './migrations';
export * from './sql';
