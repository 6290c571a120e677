import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes, type AclEntry } from 'kafkajs';

/** One topic fed by a single writer and read by one consumer group that dead-letters what it cannot apply. */
export interface ConsumedTopicGrants {
  /** e.g. `User:webhook-ingest`: the only principal that may write the topic. */
  producer: string;
  /** Reads the topic in its consumer group and writes only the dead-letter topic. */
  consumer: string;
  consumerGroupId: string;
  topic: string;
  deadLetterTopic: string;
}

/**
 * The grants of a broker with an authorizer (`allow.everyone.if.no.acl.found=false`) for one such topic; nobody else
 * gets either topic. Apply with `admin.createAcls({ acl })` or the equivalent `kafka-acls` commands.
 */
export function consumedTopicAcls(grants: ConsumedTopicGrants): AclEntry[] {
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
    allow(grants.producer, AclResourceTypes.TOPIC, grants.topic, AclOperationTypes.WRITE),
    allow(grants.consumer, AclResourceTypes.TOPIC, grants.topic, AclOperationTypes.READ),
    allow(grants.consumer, AclResourceTypes.GROUP, grants.consumerGroupId, AclOperationTypes.READ),
    allow(grants.consumer, AclResourceTypes.TOPIC, grants.deadLetterTopic, AclOperationTypes.WRITE),
  ];
}
