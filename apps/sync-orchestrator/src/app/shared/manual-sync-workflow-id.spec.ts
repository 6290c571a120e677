import { batchRetryWorkflowId, ManualSyncIdentity, manualSyncWorkflowId } from './manual-sync-workflow-id';

const BASE: ManualSyncIdentity = {
  tenantId: 'tenant_1',
  environmentId: 'env_1',
  timeFrom: '2026-12-01T00:00:00.000Z',
  timeTo: '2026-12-02T00:00:00.000Z',
  customerId: 'client_1',
  forceRerun: false,
};

describe('manual sync workflow ids', () => {
  it('are stable for identical requests and readable', () => {
    expect(manualSyncWorkflowId({ ...BASE })).toBe(manualSyncWorkflowId(BASE));
    expect(manualSyncWorkflowId(BASE)).toMatch(/^stripe-sync-manual-tenant_1-env_1-[0-9a-f]{40}$/);
  });

  it('differ between tenants whose ids join to the same text', () => {
    expect(manualSyncWorkflowId({ ...BASE, tenantId: 'a-b', environmentId: 'c' })).not.toBe(
      manualSyncWorkflowId({ ...BASE, tenantId: 'a', environmentId: 'b-c' }),
    );
  });

  it.each([
    ['range start', { timeFrom: '2026-12-01T01:00:00.000Z' }],
    ['range end', { timeTo: '2026-12-02T01:00:00.000Z' }],
    ['customer', { customerId: 'client_2' }],
    ['no customer', { customerId: undefined }],
    ['force flag', { forceRerun: true }],
    ['environment', { environmentId: 'env_2' }],
  ])('change with the %s', (_part, change) => {
    expect(manualSyncWorkflowId({ ...BASE, ...change })).not.toBe(manualSyncWorkflowId(BASE));
  });

  it('give each batch its own retry id', () => {
    expect(batchRetryWorkflowId('0f8fad5b-d9cb-469f-a165-70867728950e')).toBe('stripe-sync-retry-0f8fad5b-d9cb-469f-a165-70867728950e');
  });
});
