export * from './customer-mappings';
export * from './data-source';
export * from './entities';
export * from './migrations';
export * from './persistence.module';
export * from './postgres-check';
export * from './id-rule-check';
export * from './unique-violation';
