import { ClickHouseClient, createClient } from '@clickhouse/client';

export interface ClickHouseSettings {
  url: string;
  database: string;
  username?: string;
  /** Secret; stays in the client's memory and its Authorization header, never in a log line or error. */
  password?: string;
  /** CA of an https:// server's certificate (PEM). */
  tlsCaCert?: Buffer;
  requestTimeoutMs?: number;
}

export function createClickHouseClient(settings: ClickHouseSettings): ClickHouseClient {
  return createClient({
    url: settings.url,
    database: settings.database,
    username: settings.username ?? 'default',
    password: settings.password ?? '',
    request_timeout: settings.requestTimeoutMs ?? 30_000,
    ...(settings.tlsCaCert ? { tls: { ca_cert: settings.tlsCaCert } } : {}),
    // 18.16 predates some settings the client would otherwise send; keep requests plain.
    compression: { request: false, response: false },
  });
}

export type { ClickHouseClient };
