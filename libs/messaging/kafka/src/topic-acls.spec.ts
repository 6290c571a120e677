import { AclOperationTypes, AclResourceTypes } from 'kafkajs';
import { customerEventsAcls } from './customer-events-acls';
import { meterErrorReportsAcls } from './meter-error-reports-acls';

// kafkajs' enums are plain objects of numbers: name a value by its key.
const nameOf = (values: object, value: number): string | undefined => Object.entries(values).find(([, known]) => known === value)?.[0];
const grant = (entry: { principal: string; resourceType: AclResourceTypes; resourceName: string; operation: AclOperationTypes }): string =>
  `${entry.principal} ${nameOf(AclOperationTypes, entry.operation)} ${nameOf(AclResourceTypes, entry.resourceType)}:${entry.resourceName}`;

describe('topic grants', () => {
  it('lets webhook-ingest write the meter error reports and sync-worker only read them and write their dead letters', () => {
    const acls = meterErrorReportsAcls({ webhookIngest: 'User:wi', syncWorker: 'User:sw', syncWorkerGroupId: 'sw-group' });
    expect(acls.map(grant)).toEqual([
      'User:wi WRITE TOPIC:stripe.meter.error-reports',
      'User:sw READ TOPIC:stripe.meter.error-reports',
      'User:sw READ GROUP:sw-group',
      'User:sw WRITE TOPIC:stripe.meter.error-reports.dlq',
    ]);
  });

  it('lets webhook-ingest write the customer events and mapping-service only read them and write their dead letters', () => {
    const acls = customerEventsAcls({ webhookIngest: 'User:wi', mappingService: 'User:ms', mappingGroupId: 'ms-group', topic: 't', deadLetterTopic: 't.dlq' });
    expect(acls.map(grant)).toEqual(['User:wi WRITE TOPIC:t', 'User:ms READ TOPIC:t', 'User:ms READ GROUP:ms-group', 'User:ms WRITE TOPIC:t.dlq']);
  });
});
