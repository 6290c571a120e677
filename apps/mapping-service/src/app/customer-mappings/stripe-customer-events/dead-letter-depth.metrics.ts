import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import type { Admin, Kafka } from 'kafkajs';
import { PinoLogger } from 'nestjs-pino';
import { Gauge } from 'prom-client';
import { KAFKA_CLIENT } from '@flexsync/kafka';
import { MetricsRegistry } from '@flexsync/observability';
import { MappingServiceConfig } from '../../mapping-service.config';

/**
 * `kafka_dead_letter_depth{topic}`: messages held in the customer-events dead-letter topic (high minus low
 * watermark, all partitions), read from the broker at scrape time, so it is the same on every replica and survives
 * restarts. Absent while the broker cannot answer (the readiness gauge says why).
 */
@Injectable()
export class DeadLetterDepthMetrics implements OnModuleDestroy {
  private admin: Admin | undefined;

  constructor(
    @Inject(MetricsRegistry) registry: MetricsRegistry,
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(MappingServiceConfig) private readonly config: MappingServiceConfig,
    private readonly logger: PinoLogger,
  ) {
    logger.setContext(DeadLetterDepthMetrics.name);
    const depth = (): Promise<number | undefined> => this.depth();
    const topic = config.KAFKA_CUSTOMER_EVENTS_DLQ_TOPIC;
    new Gauge({
      name: 'kafka_dead_letter_depth',
      help: 'Messages held in the dead-letter topic (high minus low watermark over its partitions), read at scrape time',
      labelNames: ['topic'],
      registers: [registry],
      async collect() {
        this.reset();
        const value = await depth();
        if (value !== undefined) this.set({ topic }, value);
      },
    });
  }

  private async depth(): Promise<number | undefined> {
    try {
      if (!this.admin) {
        const admin = this.kafka.admin({ retry: { retries: 0 } });
        await admin.connect();
        this.admin = admin;
      }
      const offsets = await this.admin.fetchTopicOffsets(this.config.KAFKA_CUSTOMER_EVENTS_DLQ_TOPIC);
      return offsets.reduce((sum, partition) => sum + Number(partition.high) - Number(partition.low), 0);
    } catch (error) {
      const admin = this.admin;
      this.admin = undefined;
      await admin?.disconnect().catch(() => undefined);
      this.logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'metrics: could not read the dead-letter topic offsets');
      return undefined;
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
  }
}
