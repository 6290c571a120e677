import { Client, Connection, type TLSConfig } from '@temporalio/client';
import { DefaultLogger, LogEntry, LogLevel, Runtime } from '@temporalio/worker';
import pino from 'pino';
import { redactingPinoOptions, type DependencyCheck } from '@flexsync/observability';

export interface TemporalSettings {
  address: string;
  namespace: string;
  /** TLS to the frontend (`true`: system CAs); a client certificate pair makes it mTLS. */
  tls?: TLSConfig | true;
  /** Temporal Cloud API key; a secret, sent only over TLS. */
  apiKey?: string;
}

/** What `Connection.connect` and `NativeConnection.connect` share: address, TLS and API key. */
export function temporalConnectionOptions(settings: Omit<TemporalSettings, 'namespace'>): {
  address: string;
  tls?: TLSConfig | true;
  apiKey?: string;
} {
  return {
    address: settings.address,
    ...(settings.tls ? { tls: settings.tls } : {}),
    ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
  };
}

export async function connectTemporalClient(settings: TemporalSettings): Promise<Client> {
  const connection = await Connection.connect({ ...temporalConnectionOptions(settings), connectTimeout: '5 seconds' });
  return new Client({ connection, namespace: settings.namespace });
}

/** Readiness probe: the Temporal frontend answers and our namespace exists. */
export function temporalCheck(client: Client): DependencyCheck {
  return {
    name: 'temporal',
    probe: () => client.connection.workflowService.describeNamespace({ namespace: client.options.namespace }),
  };
}

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * The Temporal SDK's logger (worker, activity and workflow log lines): JSON lines in the service's shape, through the
 * same redaction as every other logger (activity contexts and workflow errors can carry ids, payloads and keys).
 */
export function temporalSdkLogger(service: string, level: LogLevel = 'WARN', destination?: pino.DestinationStream): DefaultLogger {
  const logger = pino({ base: { service, component: 'temporal-sdk' }, ...redactingPinoOptions() }, destination ?? pino.destination(1));
  return new DefaultLogger(level, (entry: LogEntry) => logger[PINO_LEVEL[entry.level]]({ ...entry.meta }, entry.message));
}

/**
 * Installs the SDK runtime: `temporalSdkLogger` as its logger and, when `metricsBindAddress` (`host:port`) is given,
 * the SDK's own metrics (task latencies, slots, pollers, request counts) served for Prometheus on that address. Must
 * run once, before the first connection or worker is created.
 */
export function installTemporalRuntime(service: string, options: { level?: LogLevel; metricsBindAddress?: string } = {}): void {
  Runtime.install({
    logger: temporalSdkLogger(service, options.level ?? 'WARN'),
    ...(options.metricsBindAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress: options.metricsBindAddress } } } } : {}),
  });
}
