import { scheduledTenantSyncWorkflowId, tenantWorkflowId } from './sync-workflow-id';

describe('tenantWorkflowId', () => {
  it('gives tenant a-b / environment c and tenant a / environment b-c different ids', () => {
    const first = scheduledTenantSyncWorkflowId({ tenantId: 'a-b', environmentId: 'c' });
    const second = scheduledTenantSyncWorkflowId({ tenantId: 'a', environmentId: 'b-c' });
    expect(first).not.toBe(second);
  });

  it('cannot collide even when ids contain the length prefix’s own characters', () => {
    const pairs = [
      ['1:a', 'b'],
      ['1', 'a-b'],
      ['a', '1:b'],
      ['', 'a-b'],
      ['a-', 'b'],
      ['a', '-b'],
    ];
    const ids = new Set(pairs.map(([tenantId, environmentId]) => tenantWorkflowId('k', { tenantId, environmentId })));
    expect(ids.size).toBe(pairs.length);
  });

  it('stays readable and stable', () => {
    expect(scheduledTenantSyncWorkflowId({ tenantId: 'tenant_1', environmentId: 'prod' })).toBe('stripe-sync-scheduled-8:tenant_1-prod');
  });
});
