import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { Kafka } from 'kafkajs';
import { Counter } from 'prom-client';
import { DataSource } from 'typeorm';
import {
  type ConsumedMessage,
  decodeStripeMeterErrorReport,
  KAFKA_CLIENT,
  KafkaConsumerRunner,
  KafkaMessageConsumer,
  KafkaPublisher,
  RejectedMeterErrorReportError,
} from '@flexsync/kafka';
import { MetricsRegistry } from '@flexsync/observability';
import { MeterErrorReportLedger } from '@flexsync/sync-pipeline';
import { SyncWorkerConfig } from '../sync-worker.config';

/**
 * Consumes `stripe.meter.error-reports` (published by webhook-ingest from Stripe's signed webhooks) and marks the
 * ledger rows each report names ({@link MeterErrorReportLedger}). The offset is committed after the transaction, so a
 * crash redelivers, and a redelivered report changes nothing; a report that can never be read is dead-lettered.
 * Start-up does not wait for Kafka: the Temporal worker runs while the consumer keeps trying to join.
 */
@Injectable()
export class MeterErrorReportsConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MeterErrorReportsConsumer.name);
  private readonly ledger: MeterErrorReportLedger;
  private readonly reports: Counter<'event_type' | 'result'>;
  private readonly rowsMarked: Counter;
  private readonly runner = new KafkaConsumerRunner('meter error reports consumer', () => this.createConsumer());

  constructor(
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(KafkaPublisher) private readonly publisher: KafkaPublisher,
    @Inject(MetricsRegistry) private readonly registry: MetricsRegistry,
    @Inject(SyncWorkerConfig) private readonly config: SyncWorkerConfig,
    @Inject(getDataSourceToken()) db: DataSource,
  ) {
    this.ledger = new MeterErrorReportLedger(db);
    this.reports = new Counter({
      name: 'stripe_meter_error_reports_total',
      help: 'Stripe meter error reports consumed, by event type and result (marked: named known rows; unmatched: named none; duplicate; rejected)',
      labelNames: ['event_type', 'result'],
      registers: [registry],
    });
    this.rowsMarked = new Counter({
      name: 'stripe_sync_rows_rejected_by_stripe_total',
      help: 'Ledger rows marked failed because a Stripe meter error report named their identifier',
      registers: [registry],
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.METER_ERROR_REPORTS_CONSUMER_ENABLED) return;
    await this.runner.start();
  }

  /**
   * Stops beside the Temporal worker's drain (same module, same shutdown phase) rather than before it: SIGTERM also
   * reaches the Temporal runtime, and the worker must be drained by its runner before the process goes. A message in
   * flight is not committed and comes back after the restart.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.runner.stop();
  }

  private createConsumer(): KafkaMessageConsumer {
    return new KafkaMessageConsumer(this.kafka, {
      groupId: this.config.KAFKA_METER_ERROR_REPORTS_GROUP_ID,
      topics: [this.config.KAFKA_METER_ERROR_REPORTS_TOPIC],
      deadLetterTopic: this.config.KAFKA_METER_ERROR_REPORTS_DLQ_TOPIC,
      deadLetterPublisher: this.publisher,
      metrics: this.registry,
      handler: (message) => this.handle(message),
    });
  }

  private async handle(message: ConsumedMessage): Promise<void> {
    let report;
    try {
      report = decodeStripeMeterErrorReport(message.value);
    } catch (error) {
      if (error instanceof RejectedMeterErrorReportError) {
        this.reports.inc({ event_type: message.headers['event-type'] ?? 'unknown', result: 'rejected' });
        this.logger.warn({ topic: message.topic, partition: message.partition, offset: message.offset, reason: error.reason }, 'meter error report rejected');
      }
      throw error;
    }
    const applied = await this.ledger.apply(report);
    const result = applied.duplicate ? 'duplicate' : applied.markedRows > 0 ? 'marked' : 'unmatched';
    this.reports.inc({ event_type: report.event_type, result });
    this.rowsMarked.inc(applied.markedRows);
    const fields = {
      tenant_id: report.tenant_id,
      environment_id: report.environment_id,
      stripe_event_id: report.stripe_event_id,
      event_type: report.event_type,
      stripe_meter_id: report.meter,
      error_count: report.error_count,
      samples: applied.samples,
      rows_marked: applied.markedRows,
      unknown_identifiers: applied.unknownIdentifiers,
      error_codes: [...new Set(report.samples.map((sample) => sample.code))],
    };
    if (applied.duplicate) this.logger.log(fields, 'meter error report already applied');
    else this.logger.warn(fields, 'stripe rejected meter events: ledger rows marked failed');
  }
}
