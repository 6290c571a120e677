import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ENVIRONMENT_HEADER, TENANT_HEADER } from './auth-options';
import { AuthenticatedRequest } from './tenant-principal';
import { TenantTokenVerifier } from './tenant-token-verifier';

/** Route metadata set by `@TenantAdmin({ operators: true })`. */
export const ADMITS_OPERATORS = 'flexsync:admits-operators';

function singleHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Admits only callers with a valid tenant-admin token, or an operator token where the route admits operators. Sets
 * `req.principal`, and `req.tenantId`/`req.environmentId`/`req.subject`/`req.actingAs` so every request log line
 * carries the scope and who acted.
 */
@Injectable()
export class TenantAdminGuard implements CanActivate {
  constructor(
    private readonly verifier: TenantTokenVerifier,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const allowOperator = this.reflector.getAllAndOverride<boolean | undefined>(ADMITS_OPERATORS, [
      context.getHandler(),
      context.getClass(),
    ]);
    const principal = await this.verifier.authenticate(
      singleHeader(request.headers.authorization),
      singleHeader(request.headers[ENVIRONMENT_HEADER]),
      { allowOperator: allowOperator === true, tenantHeader: singleHeader(request.headers[TENANT_HEADER]) },
    );
    request.principal = principal;
    request.tenantId = principal.tenantId;
    request.environmentId = principal.environmentId;
    request.subject = principal.subject;
    request.actingAs = principal.actingAs;
    return true;
  }
}
