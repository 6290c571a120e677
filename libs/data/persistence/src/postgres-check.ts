import type { DependencyCheck } from '@flexsync/observability';
import type { DataSource } from 'typeorm';

/** Readiness probe: a round trip to Postgres. */
export function postgresCheck(dataSource: DataSource): DependencyCheck {
  return { name: 'postgres', probe: () => dataSource.query('SELECT 1') };
}
