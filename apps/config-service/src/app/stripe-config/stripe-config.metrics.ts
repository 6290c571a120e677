import { Inject, Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { MetricsRegistry } from '@flexsync/observability';

export type ConfigChangeAction = 'created' | 'updated' | 'deleted';
export type ConnectionTestResult = 'connected' | 'auth_error' | 'unreachable';

/** `stripe_config_changes_total{action}` and `stripe_connection_tests_total{result}`. */
@Injectable()
export class StripeConfigMetrics {
  private readonly changes: Counter<'action'>;
  private readonly connectionTests: Counter<'result'>;

  constructor(@Inject(MetricsRegistry) registry: MetricsRegistry) {
    this.changes = new Counter({
      name: 'stripe_config_changes_total',
      help: 'Stripe configs created, updated or deleted through the API',
      labelNames: ['action'],
      registers: [registry],
    });
    this.connectionTests = new Counter({
      name: 'stripe_connection_tests_total',
      help: 'Stripe connection tests by outcome',
      labelNames: ['result'],
      registers: [registry],
    });
  }

  changed(action: ConfigChangeAction): void {
    this.changes.inc({ action });
  }

  tested(result: ConnectionTestResult): void {
    this.connectionTests.inc({ result });
  }
}
