import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the sync worker's write-ahead ledger needs beyond the initial schema:
 * - the frozen meter event of a push (precision and timestamp; event name, customer and value already have columns),
 * - the sub-unit remainder carried between pushes of a (customer, meter, event_type) series,
 * - the windows synced per tenant+environment, so a window of another size can never re-send the same usage,
 * - when an open circuit breaker may next let one probe call through,
 * - indexes for the worker's ordered window scans and pending pages.
 */
export class SyncPipelineLedger1764600000000 implements MigrationInterface {
  name = 'SyncPipelineLedger1764600000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE stripe_sync_batches
        ADD COLUMN value_precision integer CHECK (value_precision BETWEEN 0 AND 12),
        ADD COLUMN meter_event_timestamp timestamptz`);
    // Byte-wise ("C") order is ClickHouse's String order, so ledger rows merge-join with the sorted aggregate stream.
    await db.query(`
      CREATE INDEX ix_stripe_sync_batches_window_series ON stripe_sync_batches (
        tenant_id, environment_id, window_start, window_end,
        customer_id COLLATE "C", meter_id COLLATE "C", event_type COLLATE "C", revision
      )`);
    await db.query(`
      CREATE INDEX ix_stripe_sync_batches_window_pending ON stripe_sync_batches (tenant_id, environment_id, window_start, window_end, id)
      WHERE sync_status = 'pending'`);

    await db.query(`
      CREATE TABLE stripe_sync_value_remainders (
        tenant_id text NOT NULL,
        environment_id text NOT NULL,
        customer_id text NOT NULL,
        meter_id text NOT NULL,
        event_type text NOT NULL,
        value_precision integer NOT NULL CHECK (value_precision BETWEEN 0 AND 12),
        remainder numeric(38, 12) NOT NULL DEFAULT 0 CHECK (remainder >= 0 AND remainder < 1),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, environment_id, customer_id, meter_id, event_type)
      )`);

    await db.query(`
      CREATE TABLE stripe_sync_windows (
        tenant_id text NOT NULL,
        environment_id text NOT NULL,
        window_start timestamptz NOT NULL,
        window_end timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, environment_id, window_start, window_end),
        CONSTRAINT stripe_sync_windows_half_open CHECK (window_start < window_end)
      )`);

    await db.query(`ALTER TABLE stripe_circuit_breakers ADD COLUMN next_probe_at timestamptz`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE stripe_circuit_breakers DROP COLUMN IF EXISTS next_probe_at`);
    await db.query(`DROP TABLE IF EXISTS stripe_sync_windows`);
    await db.query(`DROP TABLE IF EXISTS stripe_sync_value_remainders`);
    await db.query(`DROP INDEX IF EXISTS ix_stripe_sync_batches_window_pending`);
    await db.query(`DROP INDEX IF EXISTS ix_stripe_sync_batches_window_series`);
    await db.query(`
      ALTER TABLE stripe_sync_batches
        DROP COLUMN IF EXISTS meter_event_timestamp,
        DROP COLUMN IF EXISTS value_precision`);
  }
}
