export * from './usage-source';
export * from './usage-sources';
