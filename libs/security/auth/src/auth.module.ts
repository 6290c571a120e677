import { DynamicModule, Module } from '@nestjs/common';
import { AUTH_OPTIONS, AuthOptions } from './auth-options';
import { TenantAdminGuard } from './tenant-admin.guard';
import { TenantTokenVerifier } from './tenant-token-verifier';

/** Global: one verifier per service; guard routes with `@TenantAdmin()` or `@UseGuards(TenantAdminGuard)`. */
@Module({})
export class AuthModule {
  static forRoot(options: AuthOptions): DynamicModule {
    return {
      module: AuthModule,
      global: true,
      providers: [{ provide: AUTH_OPTIONS, useValue: options }, TenantTokenVerifier, TenantAdminGuard],
      exports: [AUTH_OPTIONS, TenantTokenVerifier, TenantAdminGuard],
    };
  }
}
