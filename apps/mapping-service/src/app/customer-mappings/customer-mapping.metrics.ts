import { Inject, Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import type { StripeCustomerEventRejection } from '@flexsync/kafka';
import { MetricsRegistry } from '@flexsync/observability';

export type CustomerEventOutcome = 'mapped' | 'unmatched' | 'deleted' | 'skipped_duplicate' | 'skipped_stale' | 'skipped_deleted';

/**
 * `customer_mapping_events_total{event_type,outcome}`: what each consumed Stripe customer event did;
 * `customer_mapping_events_rejected_total{reason}`: events dead-lettered instead of applied.
 */
@Injectable()
export class CustomerMappingMetrics {
  private readonly events: Counter<'event_type' | 'outcome'>;
  private readonly rejections: Counter<'reason'>;

  constructor(@Inject(MetricsRegistry) registry: MetricsRegistry) {
    this.events = new Counter({
      name: 'customer_mapping_events_total',
      help: 'Stripe customer events applied to customer mappings, by event type and outcome.',
      labelNames: ['event_type', 'outcome'],
      registers: [registry],
    });
    this.rejections = new Counter({
      name: 'customer_mapping_events_rejected_total',
      help: 'Stripe customer events dead-lettered instead of applied: invalid message or field, key or header not matching the envelope, created in the future, refused by the database.',
      labelNames: ['reason'],
      registers: [registry],
    });
  }

  applied(eventType: string, outcome: CustomerEventOutcome): void {
    this.events.inc({ event_type: eventType, outcome });
  }

  rejected(reason: StripeCustomerEventRejection): void {
    this.rejections.inc({ reason });
  }
}
