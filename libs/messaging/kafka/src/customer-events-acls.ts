import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes, type AclEntry } from 'kafkajs';
import { STRIPE_CUSTOMER_EVENTS_DLQ_TOPIC, STRIPE_CUSTOMER_EVENTS_TOPIC } from './contracts/stripe-customer-events';

export interface CustomerEventsPrincipals {
  /** e.g. `User:webhook-ingest`: the only principal that may write the customer events topic. */
  webhookIngest: string;
  /** e.g. `User:mapping-service`: reads the topic in its consumer group and writes only the dead-letter topic. */
  mappingService: string;
  mappingGroupId: string;
  topic?: string;
  deadLetterTopic?: string;
}

/**
 * The grants of a broker with an authorizer (`allow.everyone.if.no.acl.found=false`): webhook-ingest writes
 * `stripe.customer.events`, mapping-service reads it and dead-letters to `stripe.customer.events.dlq`; nobody else
 * gets either. Apply with `admin.createAcls({ acl: customerEventsAcls(…) })` or the equivalent `kafka-acls` commands.
 */
export function customerEventsAcls(principals: CustomerEventsPrincipals): AclEntry[] {
  const topic = principals.topic ?? STRIPE_CUSTOMER_EVENTS_TOPIC;
  const deadLetterTopic = principals.deadLetterTopic ?? STRIPE_CUSTOMER_EVENTS_DLQ_TOPIC;
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
    allow(principals.mappingService, AclResourceTypes.TOPIC, topic, AclOperationTypes.READ),
    allow(principals.mappingService, AclResourceTypes.GROUP, principals.mappingGroupId, AclOperationTypes.READ),
    allow(principals.mappingService, AclResourceTypes.TOPIC, deadLetterTopic, AclOperationTypes.WRITE),
  ];
}
