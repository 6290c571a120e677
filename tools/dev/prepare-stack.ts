import { migrateUp } from '@flexsync/persistence';
import { applyClickHouseMigrations, createClickHouseClient } from '@flexsync/clickhouse';
import { stackEnv } from '@flexsync/testing';

/** Integration tier: the stack must be up; schema is migrated once for the whole run. */
export async function prepareStack(): Promise<void> {
  const env = stackEnv();
  Object.assign(process.env, { ...env, ...process.env });
  await migrateUp(env.DATABASE_URL);
  const clickhouse = createClickHouseClient({ url: env.CLICKHOUSE_URL, database: env.CLICKHOUSE_DATABASE });
  try {
    await applyClickHouseMigrations(clickhouse);
  } finally {
    await clickhouse.close();
  }
}

if (require.main === module) {
  prepareStack().catch((error: unknown) => {
    process.stderr.write(`integration setup failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
