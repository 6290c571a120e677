export * from './encryption-env.config';
export * from './keyring';
export * from './secret-box';
