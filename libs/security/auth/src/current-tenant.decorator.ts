import { applyDecorators, createParamDecorator, ExecutionContext, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiHeader, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { DomainError } from '@flexsync/runtime';
import { TENANT_ADMIN_ROLE } from './auth-options';
import { TenantAdminGuard } from './tenant-admin.guard';
import { AuthenticatedRequest, TenantPrincipal } from './tenant-principal';

/** The verified caller of a route guarded by `TenantAdminGuard`. */
export const CurrentTenant = createParamDecorator((_data: unknown, context: ExecutionContext): TenantPrincipal => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) {
    // Fails closed when a route forgot the guard.
    throw new DomainError('AUTH.MISSING_TOKEN', 'an Authorization: Bearer token is required');
  }
  return principal;
});

/** Guards a controller or route with `TenantAdminGuard` and documents the bearer auth and environment header in OpenAPI. */
export function TenantAdmin(): ClassDecorator & MethodDecorator {
  return applyDecorators(
    UseGuards(TenantAdminGuard),
    ApiBearerAuth(),
    ApiHeader({
      name: 'X-Environment-ID',
      required: false,
      description: "Act on this environment instead of the token's environment_id; it must be listed in the token's environment_ids.",
    }),
    ApiUnauthorizedResponse({ description: 'missing, malformed, expired or wrongly signed token' }),
    ApiForbiddenResponse({ description: `the token lacks the ${TENANT_ADMIN_ROLE} role or does not allow the requested environment` }),
  );
}
