import { ClickHouseClient, createClient } from '@clickhouse/client';

export interface ClickHouseSettings {
  url: string;
  database: string;
  username?: string;
  password?: string;
  requestTimeoutMs?: number;
}

export function createClickHouseClient(settings: ClickHouseSettings): ClickHouseClient {
  return createClient({
    url: settings.url,
    database: settings.database,
    username: settings.username ?? 'default',
    password: settings.password ?? '',
    request_timeout: settings.requestTimeoutMs ?? 30_000,
    // 18.16 predates some settings the client would otherwise send; keep requests plain.
    compression: { request: false, response: false },
  });
}

export type { ClickHouseClient };
