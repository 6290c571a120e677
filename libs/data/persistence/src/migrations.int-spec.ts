import { Client } from 'pg';
import { stackEnv } from '@flexsync/testing';
import { migrateDown, migrateUp, MIGRATIONS_TABLE } from './data-source';
import { MIGRATIONS } from './migrations';

const ALL_MIGRATIONS = MIGRATIONS.map((migration) => migration.name);

const TABLES = [
  'stripe_tenant_configs',
  'stripe_config_audit',
  'meter_provider_mappings',
  'customer_integration_mappings',
  'stripe_sync_batches',
  'stripe_webhook_events',
  'stripe_circuit_breakers',
  'stripe_meter_error_reports',
];

/** Runs in a database of its own so reverting the schema cannot disturb other suites. */
describe('Postgres migrations', () => {
  const base = stackEnv().DATABASE_URL;
  const databaseName = `flexsync_migrations_${process.pid}`;
  const databaseUrl = base.replace(/\/[^/]+$/, `/${databaseName}`);
  let admin: Client;

  beforeAll(async () => {
    admin = new Client({ connectionString: base });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${databaseName}`);
    await admin.query(`CREATE DATABASE ${databaseName}`);
  });

  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
    await admin.end();
  });

  async function tablesPresent(): Promise<string[]> {
    const db = new Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const result = await db.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name = ANY($1) ORDER BY table_name`,
        [TABLES],
      );
      return result.rows.map((row) => row.table_name);
    } finally {
      await db.end();
    }
  }

  it('applies every table, then is a no-op when run again', async () => {
    expect(await migrateUp(databaseUrl)).toEqual(ALL_MIGRATIONS);
    expect(await tablesPresent()).toEqual([...TABLES].sort());
    expect(await migrateUp(databaseUrl)).toEqual([]);
  });

  it('enforces one meter mapping per tenant, environment and meter', async () => {
    const db = new Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const insert = `INSERT INTO meter_provider_mappings (tenant_id, environment_id, meter_id, provider_type, provider_meter_id) VALUES ('t', 'e', 'meter_storage', 'stripe', 'meter.storage')`;
      await db.query(insert);
      await expect(db.query(insert)).rejects.toThrow(/ux_meter_provider_mappings_meter/);
      await expect(
        db.query(
          `INSERT INTO meter_provider_mappings (tenant_id, environment_id, meter_id, provider_type, provider_meter_id) VALUES ('t', 'e2', 'meter_storage', 'paddle', 'x')`,
        ),
      ).rejects.toThrow(/provider_type_check/);
    } finally {
      await db.end();
    }
  });

  it('rejects a ledger row whose window is not half-open forwards', async () => {
    const db = new Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      await expect(
        db.query(
          `INSERT INTO stripe_sync_batches (tenant_id, environment_id, customer_id, meter_id, event_type, window_start, window_end, identifier, payload_hash, aggregated_quantity, sync_status)
           VALUES ('t', 'e', 'c', 'm', 'increment', '2025-06-21T05:00:00Z', '2025-06-21T04:00:00Z', 'flexprice_x', 'h', 1, 'pending')`,
        ),
      ).rejects.toThrow(/stripe_sync_batches_window_half_open/);
    } finally {
      await db.end();
    }
  });

  it('reverts every migration, leaving no table and an empty ledger, and applies again', async () => {
    expect(await migrateDown(databaseUrl)).toBe(ALL_MIGRATIONS.length);
    expect(await tablesPresent()).toEqual([]);
    const db = new Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const rows = await db.query(`SELECT count(*)::int AS n FROM ${MIGRATIONS_TABLE}`);
      expect(rows.rows[0].n).toBe(0);
    } finally {
      await db.end();
    }
    expect(await migrateUp(databaseUrl)).toEqual(ALL_MIGRATIONS);
  });
});
