import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiHeader, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { DomainError } from '@flexsync/runtime';
import { OPERATOR_ROLE, TENANT_ADMIN_ROLE } from './auth-options';
import { ADMITS_OPERATORS, TenantAdminGuard } from './tenant-admin.guard';
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

/**
 * Guards a controller or route with `TenantAdminGuard` and documents the bearer auth and headers in OpenAPI.
 * `{ operators: true }` also admits operator tokens, which name the tenant and environment in `X-Tenant-ID` and
 * `X-Environment-ID`; leave it off wherever operators have no business (keys, mappings).
 */
export function TenantAdmin(options: { operators?: boolean } = {}): ClassDecorator & MethodDecorator {
  const operatorDocs = options.operators
    ? [
        SetMetadata(ADMITS_OPERATORS, true),
        ApiHeader({
          name: 'X-Tenant-ID',
          required: false,
          description: `Required with an ${OPERATOR_ROLE} token: the tenant to act on (with X-Environment-ID). A tenant admin may send only its own.`,
        }),
      ]
    : [];
  return applyDecorators(
    UseGuards(TenantAdminGuard),
    ...operatorDocs,
    ApiBearerAuth(),
    ApiHeader({
      name: 'X-Environment-ID',
      required: false,
      description: "Act on this environment instead of the token's environment_id; it must be listed in the token's environment_ids.",
    }),
    ApiUnauthorizedResponse({ description: 'missing, malformed, expired or wrongly signed token' }),
    ApiForbiddenResponse({
      description: `the token lacks the ${TENANT_ADMIN_ROLE} role or does not allow the requested tenant or environment`,
    }),
  );
}
