import type { AclEntry } from 'kafkajs';
import { STRIPE_CUSTOMER_EVENTS_DLQ_TOPIC, STRIPE_CUSTOMER_EVENTS_TOPIC } from './contracts/stripe-customer-events';
import { consumedTopicAcls } from './topic-acls';

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
  return consumedTopicAcls({
    producer: principals.webhookIngest,
    consumer: principals.mappingService,
    consumerGroupId: principals.mappingGroupId,
    topic: principals.topic ?? STRIPE_CUSTOMER_EVENTS_TOPIC,
    deadLetterTopic: principals.deadLetterTopic ?? STRIPE_CUSTOMER_EVENTS_DLQ_TOPIC,
  });
}
