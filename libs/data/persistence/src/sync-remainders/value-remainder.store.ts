import type { EntityManager } from 'typeorm';
import type { TenantScope } from '../entities/tenant-scoped';

/** One series of a tenant+environment. */
export interface RemainderSeries {
  customerId: string;
  meterId: string;
  eventType: string;
}

export interface StoredRemainder extends RemainderSeries {
  precision: number;
  /** Decimal text as Postgres renders numeric(38, 12), e.g. `0.500000000000`. */
  remainder: string;
}

/**
 * `stripe_sync_value_remainders` (entity `StripeSyncValueRemainder`). Raw SQL, because a page of a push reads and
 * writes many series in one statement each (`unnest` of parallel arrays, `ON CONFLICT … DO UPDATE` on the composite
 * key), which the repository API would turn into one query per series. Always scoped by tenant and environment;
 * runs on the caller's manager, inside its ledger lock and the page's write-ahead commit.
 */
export class ValueRemainderStore {
  async read(manager: EntityManager, scope: TenantScope, series: readonly RemainderSeries[]): Promise<StoredRemainder[]> {
    if (series.length === 0) return [];
    return manager.query(
      `SELECT r.customer_id AS "customerId", r.meter_id AS "meterId", r.event_type AS "eventType",
              r.value_precision AS precision, r.remainder::text AS remainder
         FROM stripe_sync_value_remainders r
         JOIN unnest($3::text[], $4::text[], $5::text[]) AS k(customer_id, meter_id, event_type)
           ON r.customer_id = k.customer_id AND r.meter_id = k.meter_id AND r.event_type = k.event_type
        WHERE r.tenant_id = $1 AND r.environment_id = $2`,
      [scope.tenantId, scope.environmentId, series.map((k) => k.customerId), series.map((k) => k.meterId), series.map((k) => k.eventType)],
    );
  }

  async write(manager: EntityManager, scope: TenantScope, remainders: readonly StoredRemainder[]): Promise<void> {
    if (remainders.length === 0) return;
    await manager.query(
      `INSERT INTO stripe_sync_value_remainders (tenant_id, environment_id, customer_id, meter_id, event_type, value_precision, remainder)
       SELECT $1, $2, u.customer_id, u.meter_id, u.event_type, u.precision, u.remainder::numeric
         FROM unnest($3::text[], $4::text[], $5::text[], $6::int[], $7::text[]) AS u(customer_id, meter_id, event_type, precision, remainder)
       ON CONFLICT (tenant_id, environment_id, customer_id, meter_id, event_type)
       DO UPDATE SET value_precision = EXCLUDED.value_precision, remainder = EXCLUDED.remainder, updated_at = now()`,
      [
        scope.tenantId,
        scope.environmentId,
        remainders.map((r) => r.customerId),
        remainders.map((r) => r.meterId),
        remainders.map((r) => r.eventType),
        remainders.map((r) => r.precision),
        remainders.map((r) => r.remainder),
      ],
    );
  }
}
