import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { ENVIRONMENT_HEADER } from './auth-options';
import { AuthenticatedRequest } from './tenant-principal';
import { TenantTokenVerifier } from './tenant-token-verifier';

function singleHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Admits only callers with a valid tenant-admin token. Sets `req.principal`, and `req.tenantId`/`req.environmentId`
 * so every request log line carries the scope.
 */
@Injectable()
export class TenantAdminGuard implements CanActivate {
  constructor(private readonly verifier: TenantTokenVerifier) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const principal = await this.verifier.authenticate(
      singleHeader(request.headers.authorization),
      singleHeader(request.headers[ENVIRONMENT_HEADER]),
    );
    request.principal = principal;
    request.tenantId = principal.tenantId;
    request.environmentId = principal.environmentId;
    return true;
  }
}
