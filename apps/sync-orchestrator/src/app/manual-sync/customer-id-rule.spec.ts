import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { FLEXPRICE_CUSTOMER_ID_SAMPLES } from '@flexsync/testing';
import { ListBatchesQueryDto } from '../sync-status/sync-status.views';
import { ManualSyncRequestDto } from './manual-sync.dto';

const RANGE = { time_from: '2025-06-21T04:00:00Z', time_to: '2025-06-22T04:00:00Z' };

function accepted(dto: object): boolean {
  return validateSync(dto, { whitelist: true, forbidNonWhitelisted: true }).length === 0;
}

describe('sync requests name FlexPrice customers by the one FlexPrice id rule', () => {
  it.each(FLEXPRICE_CUSTOMER_ID_SAMPLES)('a manual sync of customer $id is accepted exactly when the rule accepts it ($valid)', ({ id, valid }) => {
    expect(accepted(plainToInstance(ManualSyncRequestDto, { ...RANGE, entity_type: 'customer', entity_id: id }))).toBe(valid);
  });

  it.each(FLEXPRICE_CUSTOMER_ID_SAMPLES)('the batch listing filters by customer $id exactly when the rule accepts it ($valid)', ({ id, valid }) => {
    expect(accepted(plainToInstance(ListBatchesQueryDto, { customer_id: id }))).toBe(valid);
  });
});
