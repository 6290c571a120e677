export * from './meter-mapping.store';
export * from './meter-provider-mapping.entity';
