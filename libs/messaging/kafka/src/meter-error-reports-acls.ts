import type { AclEntry } from 'kafkajs';
import { STRIPE_METER_ERROR_REPORTS_DLQ_TOPIC, STRIPE_METER_ERROR_REPORTS_TOPIC } from './contracts/stripe-meter-error-reports';
import { consumedTopicAcls } from './topic-acls';

export interface MeterErrorReportsPrincipals {
  /** e.g. `User:webhook-ingest`: the only principal that may write the meter error reports topic. */
  webhookIngest: string;
  /** e.g. `User:sync-worker`: reads the topic in its consumer group and writes only the dead-letter topic. */
  syncWorker: string;
  syncWorkerGroupId: string;
  topic?: string;
  deadLetterTopic?: string;
}

/**
 * The grants of a broker with an authorizer for Stripe's meter error reports: webhook-ingest writes
 * `stripe.meter.error-reports`, sync-worker reads it and dead-letters to `stripe.meter.error-reports.dlq`.
 * Apply beside {@link customerEventsAcls} with `admin.createAcls({ acl: meterErrorReportsAcls(…) })`.
 */
export function meterErrorReportsAcls(principals: MeterErrorReportsPrincipals): AclEntry[] {
  return consumedTopicAcls({
    producer: principals.webhookIngest,
    consumer: principals.syncWorker,
    consumerGroupId: principals.syncWorkerGroupId,
    topic: principals.topic ?? STRIPE_METER_ERROR_REPORTS_TOPIC,
    deadLetterTopic: principals.deadLetterTopic ?? STRIPE_METER_ERROR_REPORTS_DLQ_TOPIC,
  });
}
