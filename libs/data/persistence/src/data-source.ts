import { DataSource, DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

export const MIGRATIONS_TABLE = 'flexsync_migrations';
/** Arbitrary constant: the advisory-lock key that serialises concurrent migration runs (several pods starting at once). */
const MIGRATION_LOCK_KEY = 7_364_029_118;

export function dataSourceOptions(databaseUrl: string): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    extra: { max: 10, connectionTimeoutMillis: 5000 },
  };
}

async function underMigrationLock<T>(dataSource: DataSource, work: () => Promise<T>): Promise<T> {
  await dataSource.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
  try {
    return await work();
  } finally {
    await dataSource.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
  }
}

/** Applies pending migrations; returns the names applied. Safe to call from several processes at once. */
export async function migrateUp(databaseUrl: string): Promise<string[]> {
  const dataSource = await new DataSource({ ...dataSourceOptions(databaseUrl), extra: { max: 1 } }).initialize();
  try {
    const applied = await underMigrationLock(dataSource, () => dataSource.runMigrations({ transaction: 'each' }));
    return applied.map((m) => m.name);
  } finally {
    await dataSource.destroy();
  }
}

/** Reverts the last `steps` migrations (default: all). Returns how many were reverted. */
export async function migrateDown(databaseUrl: string, steps = Number.POSITIVE_INFINITY): Promise<number> {
  const dataSource = await new DataSource({ ...dataSourceOptions(databaseUrl), extra: { max: 1 } }).initialize();
  try {
    return await underMigrationLock(dataSource, async () => {
      let reverted = 0;
      while (reverted < steps) {
        const executed = await dataSource.query(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = $1`, [
          MIGRATIONS_TABLE,
        ]);
        if (executed[0].n === 0) break;
        const rows: { n: number }[] = await dataSource.query(`SELECT count(*)::int AS n FROM ${MIGRATIONS_TABLE}`);
        if (rows[0].n === 0) break;
        await dataSource.undoLastMigration({ transaction: 'each' });
        reverted += 1;
      }
      return reverted;
    });
  } finally {
    await dataSource.destroy();
  }
}
