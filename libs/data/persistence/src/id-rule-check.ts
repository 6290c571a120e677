import type { DataSource } from 'typeorm';
import { ID_RULES, type IdKind } from '@flexsync/runtime';

/**
 * Every stored id column and the id rule its values must follow (`ID_RULES` in `@flexsync/runtime`, the same rule
 * the API, the Kafka contracts, the ClickHouse filters and the sync requests apply). Rows written before a rule
 * was tightened may break it; `db:check-ids` lists them so an operator fixes them instead of meeting a 400 later.
 */
export const ID_COLUMNS: readonly { table: string; column: string; kind: IdKind }[] = [
  ...[
    'customer_integration_mappings',
    'meter_provider_mappings',
    'stripe_circuit_breakers',
    'stripe_config_audit',
    'stripe_manual_sync_runs',
    'stripe_sync_batches',
    'stripe_sync_value_remainders',
    'stripe_sync_windows',
    'stripe_tenant_configs',
    'stripe_webhook_events',
  ].flatMap((table) => [
    { table, column: 'tenant_id', kind: 'tenant' as const },
    { table, column: 'environment_id', kind: 'environment' as const },
  ]),
  { table: 'customer_integration_mappings', column: 'customer_id', kind: 'flexprice_customer' },
  { table: 'customer_integration_mappings', column: 'provider_customer_id', kind: 'stripe' },
  { table: 'meter_provider_mappings', column: 'meter_id', kind: 'flexprice_meter' },
  { table: 'stripe_manual_sync_runs', column: 'customer_id', kind: 'flexprice_customer' },
  { table: 'stripe_sync_batches', column: 'customer_id', kind: 'flexprice_customer' },
  { table: 'stripe_sync_batches', column: 'meter_id', kind: 'flexprice_meter' },
  { table: 'stripe_sync_batches', column: 'provider_customer_id', kind: 'stripe' },
  { table: 'stripe_sync_value_remainders', column: 'customer_id', kind: 'flexprice_customer' },
  { table: 'stripe_sync_value_remainders', column: 'meter_id', kind: 'flexprice_meter' },
  { table: 'stripe_tenant_configs', column: 'stripe_account_id', kind: 'stripe' },
  { table: 'stripe_webhook_events', column: 'stripe_event_id', kind: 'stripe' },
];

export interface IdRuleViolation {
  table: string;
  column: string;
  kind: IdKind;
  tenantId: string;
  environmentId: string;
  value: string;
  rows: number;
}

/** At most this many distinct offending values per column are listed; the count says how many rows each covers. */
const MAX_LISTED_PER_COLUMN = 1000;

/**
 * The stored ids that break their kind's rule. The rule's own regular expression is handed to Postgres (`!~`):
 * the patterns use only syntax JavaScript and Postgres read alike (anchors, bracket classes, `\x` escapes, bounds
 * up to 255), so the check and the validators cannot drift apart.
 */
export async function findIdRuleViolations(dataSource: DataSource): Promise<IdRuleViolation[]> {
  const violations: IdRuleViolation[] = [];
  for (const { table, column, kind } of ID_COLUMNS) {
    const rows: { tenant_id: string; environment_id: string; value: string; rows: string }[] = await dataSource.query(
      `SELECT tenant_id, environment_id, ${column} AS value, count(*) AS rows
         FROM ${table}
        WHERE ${column} IS NOT NULL AND ${column} !~ $1
        GROUP BY tenant_id, environment_id, ${column}
        ORDER BY tenant_id, environment_id, ${column}
        LIMIT ${MAX_LISTED_PER_COLUMN}`,
      [ID_RULES[kind].pattern.source],
    );
    for (const row of rows) {
      violations.push({ table, column, kind, tenantId: row.tenant_id, environmentId: row.environment_id, value: row.value, rows: Number(row.rows) });
    }
  }
  return violations;
}
