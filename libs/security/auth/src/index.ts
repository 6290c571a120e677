export * from './auth-env.config';
export * from './auth-options';
export * from './auth.module';
export * from './jwks-url';
export { CurrentTenant, TenantAdmin } from './current-tenant.decorator';
export * from './tenant-admin.guard';
export * from './tenant-principal';
export * from './tenant-token-minter';
export * from './tenant-token-verifier';
