import { Logger } from '@nestjs/common';
import type { ConnectionOptions } from 'node:tls';
import { Kafka, logLevel, type LogEntry, type logCreator, type SASLOptions } from 'kafkajs';

export interface KafkaClientOptions {
  clientId: string;
  brokers: string[];
  /** TCP connect timeout per broker; short, so an unreachable broker is noticed quickly. */
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** TLS to the brokers (`true`: system CAs). */
  ssl?: ConnectionOptions | boolean;
  /** SASL authentication (SCRAM-SHA-512/256 or PLAIN); the password stays in memory, never in a log line. */
  sasl?: SASLOptions;
}

/**
 * kafkajs log lines go through the service logger (JSON, redacted) instead of kafkajs' own console output.
 * kafkajs logs every failed connection attempt of its internal retries as ERROR; those are warnings here, because
 * the outcome that matters (a publish that failed, a consumer that crashed) is logged by the code that called it.
 */
export function kafkaLogCreator(logger: Logger = new Logger('kafkajs')): logCreator {
  return (_level) =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _name, ...fields } = log;
      const context = { kafka_namespace: namespace, ...fields };
      switch (level) {
        case logLevel.ERROR:
          logger.warn({ ...context, kafka_level: 'error' }, message);
          break;
        case logLevel.WARN:
          logger.warn(context, message);
          break;
        case logLevel.INFO:
          logger.log(context, message);
          break;
        case logLevel.DEBUG:
        case logLevel.NOTHING:
          logger.debug(context, message);
          break;
      }
    };
}

export function createKafkaClient(options: KafkaClientOptions): Kafka {
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: options.connectionTimeoutMs ?? 1000,
    requestTimeout: options.requestTimeoutMs ?? 5000,
    ...(options.ssl ? { ssl: options.ssl } : {}),
    ...(options.sasl ? { sasl: options.sasl } : {}),
    retry: { initialRetryTime: 200, maxRetryTime: 5000, retries: 5 },
    logLevel: logLevel.INFO,
    logCreator: kafkaLogCreator(),
  });
}
