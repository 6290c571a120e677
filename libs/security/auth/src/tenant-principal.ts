import type { Request } from 'express';

/** Who is calling, resolved from a verified tenant-admin token. */
export interface TenantPrincipal {
  tenantId: string;
  environmentId: string;
  /** The token's `sub`. */
  subject: string;
  roles: string[];
  /** Which role admitted the request: a tenant admin acts on its own tenant only, an operator on the one it names. */
  actingAs: 'tenant_admin' | 'operator';
}

/** The request after `TenantAdminGuard`: the principal plus the scope the request logger reads. */
export interface AuthenticatedRequest extends Request {
  principal?: TenantPrincipal;
  tenantId?: string;
  environmentId?: string;
  subject?: string;
  actingAs?: TenantPrincipal['actingAs'];
}
