import type { Request } from 'express';

/** Who is calling, resolved from a verified tenant-admin token. */
export interface TenantPrincipal {
  tenantId: string;
  environmentId: string;
  /** The token's `sub`. */
  subject: string;
  roles: string[];
}

/** The request after `TenantAdminGuard`: the principal plus the scope the request logger reads. */
export interface AuthenticatedRequest extends Request {
  principal?: TenantPrincipal;
  tenantId?: string;
  environmentId?: string;
}
