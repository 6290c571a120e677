import { applyClickHouseMigrations, createClickHouseClient } from '@flexsync/clickhouse';

/** `ch:migrate`: applies the versioned ClickHouse DDL files once each. */
async function main(): Promise<void> {
  const url = process.env.CLICKHOUSE_URL;
  if (!url) throw new Error('CLICKHOUSE_URL is required');
  const client = createClickHouseClient({ url, database: process.env.CLICKHOUSE_DATABASE ?? 'flexprice' });
  try {
    const applied = await applyClickHouseMigrations(client);
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'clickhouse schema up to date\n');
  } finally {
    await client.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
