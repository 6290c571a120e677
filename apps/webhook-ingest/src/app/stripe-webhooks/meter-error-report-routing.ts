import {
  encodeStripeMeterErrorReport,
  isStripeMeterErrorReportEventType,
  type OutgoingMessage,
  type StripeEventLike,
  stripeMeterErrorReportFromStripeEvent,
} from '@flexsync/kafka';
import type { TenantScope } from '@flexsync/persistence';

/**
 * Stripe's `v1.billing.meter.error_report_triggered` / `…no_meter_found` events: recorded in the inbox like every
 * routed event and published to `stripe.meter.error-reports` (keyed tenant:environment:meter), where sync-worker, the
 * ledger's owner, marks the rows they name. webhook-ingest never writes the ledger itself.
 */
export const meterErrorReportRouting = {
  routes(type: string): boolean {
    return isStripeMeterErrorReportEventType(type);
  },
  /** The message, or undefined when the event carries no report object. */
  message(scope: TenantScope, event: StripeEventLike): OutgoingMessage | undefined {
    const report = stripeMeterErrorReportFromStripeEvent(scope, event);
    return report ? encodeStripeMeterErrorReport(report) : undefined;
  },
};
