export * from './health';
export * from './http-metrics';
export * from './logging';
export * from './log-redaction';
export * from './metrics';
export * from './observability.module';
