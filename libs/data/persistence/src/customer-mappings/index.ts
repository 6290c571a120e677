export * from './customer-integration-mapping.entity';
export * from './customer-mapping.store';
