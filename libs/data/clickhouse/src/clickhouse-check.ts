import type { ClickHouseClient } from '@clickhouse/client';
import type { DependencyCheck } from '@flexsync/observability';

/** Readiness probe: ClickHouse answers a query (ping alone passes while the server refuses work). */
export function clickHouseCheck(client: ClickHouseClient): DependencyCheck {
  return {
    name: 'clickhouse',
    probe: async () => {
      const result = await client.query({ query: 'SELECT 1 AS ok', format: 'JSONEachRow' });
      await result.json();
    },
  };
}
