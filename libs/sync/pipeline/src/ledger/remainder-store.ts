import type { EntityManager } from 'typeorm';
import type { TenantScope } from '@flexsync/persistence';
import { normalizeDecimal } from '../decimal';
import { seriesKeyOf, type RemainderUpdate, type SeriesKey, type SeriesRemainder } from './ledger-rows';

/**
 * `stripe_sync_value_remainders`: per series, the fraction Stripe's whole-number values have not carried yet
 * (design rule 6). Read and written inside the caller's ledger lock, in the write-ahead commit of a page.
 */
export async function readRemainders(
  manager: EntityManager,
  scope: TenantScope,
  keys: readonly SeriesKey[],
): Promise<Map<string, SeriesRemainder>> {
  if (keys.length === 0) return new Map();
  const rows: (SeriesKey & { precision: number; remainder: string })[] = await manager.query(
    `SELECT r.customer_id AS "customerId", r.meter_id AS "meterId", r.event_type AS "eventType",
            r.value_precision AS precision, r.remainder::text AS remainder
       FROM stripe_sync_value_remainders r
       JOIN unnest($3::text[], $4::text[], $5::text[]) AS k(customer_id, meter_id, event_type)
         ON r.customer_id = k.customer_id AND r.meter_id = k.meter_id AND r.event_type = k.event_type
      WHERE r.tenant_id = $1 AND r.environment_id = $2`,
    [scope.tenantId, scope.environmentId, keys.map((k) => k.customerId), keys.map((k) => k.meterId), keys.map((k) => k.eventType)],
  );
  return new Map(rows.map((row) => [seriesKeyOf(row), { precision: row.precision, remainder: normalizeDecimal(row.remainder) }]));
}

export async function storeRemainders(manager: EntityManager, scope: TenantScope, updates: readonly RemainderUpdate[]): Promise<void> {
  if (updates.length === 0) return;
  await manager.query(
    `INSERT INTO stripe_sync_value_remainders (tenant_id, environment_id, customer_id, meter_id, event_type, value_precision, remainder)
     SELECT $1, $2, u.customer_id, u.meter_id, u.event_type, u.precision, u.remainder::numeric
       FROM unnest($3::text[], $4::text[], $5::text[], $6::int[], $7::text[]) AS u(customer_id, meter_id, event_type, precision, remainder)
     ON CONFLICT (tenant_id, environment_id, customer_id, meter_id, event_type)
     DO UPDATE SET value_precision = EXCLUDED.value_precision, remainder = EXCLUDED.remainder, updated_at = now()`,
    [
      scope.tenantId,
      scope.environmentId,
      updates.map((r) => r.customerId),
      updates.map((r) => r.meterId),
      updates.map((r) => r.eventType),
      updates.map((r) => r.precision),
      updates.map((r) => r.remainder),
    ],
  );
}
