import { Inject, Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { MetricsRegistry } from '@flexsync/observability';

export type CustomerEventOutcome = 'mapped' | 'unmatched' | 'deleted' | 'skipped_duplicate' | 'skipped_stale' | 'skipped_deleted';

/** `customer_mapping_events_total{event_type,outcome}`: what each consumed Stripe customer event did. */
@Injectable()
export class CustomerMappingMetrics {
  private readonly events: Counter<'event_type' | 'outcome'>;

  constructor(@Inject(MetricsRegistry) registry: MetricsRegistry) {
    this.events = new Counter({
      name: 'customer_mapping_events_total',
      help: 'Stripe customer events applied to customer mappings, by event type and outcome.',
      labelNames: ['event_type', 'outcome'],
      registers: [registry],
    });
  }

  applied(eventType: string, outcome: CustomerEventOutcome): void {
    this.events.inc({ event_type: eventType, outcome });
  }
}
