import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';

export const CLICKHOUSE_MIGRATIONS_DIR = join(__dirname, '..', 'migrations');
const LEDGER = 'flexsync_schema_migrations';

export interface ClickHouseMigration {
  version: string;
  sql: string;
}

export function readClickHouseMigrations(dir = CLICKHOUSE_MIGRATIONS_DIR): ClickHouseMigration[] {
  return readdirSync(dir)
    .filter((file) => /^\d{4}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => ({ version: file.replace(/\.sql$/, ''), sql: readFileSync(join(dir, file), 'utf8') }));
}

/** Applies each versioned .sql file once, in order, recording it in a ledger table. Returns the versions applied. */
export async function applyClickHouseMigrations(client: ClickHouseClient, dir = CLICKHOUSE_MIGRATIONS_DIR): Promise<string[]> {
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${LEDGER} (version String, applied_at DateTime DEFAULT now()) ENGINE = MergeTree() ORDER BY version`,
  });
  const done = await client.query({ query: `SELECT version FROM ${LEDGER}`, format: 'JSONEachRow' });
  const applied = new Set((await done.json<{ version: string }>()).map((row) => row.version));
  const newlyApplied: string[] = [];
  for (const migration of readClickHouseMigrations(dir)) {
    if (applied.has(migration.version)) continue;
    await client.command({ query: migration.sql });
    await client.insert({
      table: LEDGER,
      values: [{ version: migration.version, applied_at: new Date().toISOString().slice(0, 19).replace('T', ' ') }],
      format: 'JSONEachRow',
    });
    newlyApplied.push(migration.version);
  }
  return newlyApplied;
}
