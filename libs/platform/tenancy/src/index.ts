/**
 * One tenant's one environment: the scope every row, query, workflow and request belongs to. Types only, in a
 * contracts lib, so every layer may import it — workflows and contracts included, which may import nothing else.
 */
export interface TenantScope {
  tenantId: string;
  environmentId: string;
}
