import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes, type AclEntry } from 'kafkajs';
import { STRIPE_METER_ERROR_REPORTS_DLQ_TOPIC, STRIPE_METER_ERROR_REPORTS_TOPIC } from './contracts/stripe-meter-error-reports';

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
  const topic = principals.topic ?? STRIPE_METER_ERROR_REPORTS_TOPIC;
  const deadLetterTopic = principals.deadLetterTopic ?? STRIPE_METER_ERROR_REPORTS_DLQ_TOPIC;
  const allow = (principal: string, resourceType: AclResourceTypes, resourceName: string, operation: AclOperationTypes): AclEntry => ({
    principal,
    host: '*',
    resourceType,
    resourceName,
    resourcePatternType: ResourcePatternTypes.LITERAL,
    operation,
    permissionType: AclPermissionTypes.ALLOW,
  });
  return [
    allow(principals.webhookIngest, AclResourceTypes.TOPIC, topic, AclOperationTypes.WRITE),
    allow(principals.syncWorker, AclResourceTypes.TOPIC, topic, AclOperationTypes.READ),
    allow(principals.syncWorker, AclResourceTypes.GROUP, principals.syncWorkerGroupId, AclOperationTypes.READ),
    allow(principals.syncWorker, AclResourceTypes.TOPIC, deadLetterTopic, AclOperationTypes.WRITE),
  ];
}
