import { Inject, Injectable } from '@nestjs/common';
import { MeterMappingStore, type TenantScope } from '@flexsync/persistence';
import { DomainError } from '@flexsync/runtime';
import { RECONCILIATION_MAX_RANGE_DAYS, splitIntoWindows } from '@flexsync/sync-contracts';
import { TenantSyncSettingsReader } from '../shared/sync-settings';
import type { ReconciliationRangeDto } from './reconciliation.dto';

const DAY_MS = 86_400_000;
/** Usage (and Postgres' timestamps) start long after year 0: an older instant is a mistake, not a range to read. */
const EARLIEST_MS = Date.UTC(2000, 0, 1);

/** A checked request: the range widened to the tenant's windows, the filters known to exist. */
export interface ReconciliationRange extends TenantScope {
  timeFrom: string;
  timeTo: string;
  customerId?: string;
  meterId?: string;
  windowMinutes: number;
}

/**
 * Checks what the DTO cannot: time_from before time_to, at most 35 days (Stripe keeps meter events no longer), not
 * before 2000 nor more than a day ahead, a Stripe config for the tenant (404 otherwise), and a meter filter naming a
 * mapped meter. Each refusal names its field.
 */
@Injectable()
export class ReconciliationRangeReader {
  constructor(
    private readonly settings: TenantSyncSettingsReader,
    @Inject(MeterMappingStore) private readonly meterMappings: MeterMappingStore,
  ) {}

  async resolve(scope: TenantScope, request: ReconciliationRangeDto): Promise<ReconciliationRange> {
    const from = Date.parse(request.time_from);
    const to = Date.parse(request.time_to);
    if (from >= to) {
      throw new DomainError('SYNC.INVALID_WINDOW', 'time_from must be before time_to', [{ field: 'time_from', reason: 'must be before time_to' }]);
    }
    if (from < EARLIEST_MS) {
      throw new DomainError('SYNC.INVALID_WINDOW', 'time_from is before any usage could exist', [
        { field: 'time_from', reason: 'must not be before 2000-01-01T00:00:00Z' },
      ]);
    }
    if (to > Date.now() + DAY_MS) {
      throw new DomainError('SYNC.INVALID_WINDOW', 'time_to is too far in the future', [
        { field: 'time_to', reason: 'must not be more than a day in the future' },
      ]);
    }
    if (to - from > RECONCILIATION_MAX_RANGE_DAYS * DAY_MS) {
      throw new DomainError('SYNC.INVALID_WINDOW', `a reconciliation covers at most ${RECONCILIATION_MAX_RANGE_DAYS} days`, [
        { field: 'time_to', reason: `must be at most ${RECONCILIATION_MAX_RANGE_DAYS} days after time_from` },
      ]);
    }
    const { windowMinutes } = await this.settings.require(scope);
    if (request.meter_id !== undefined) {
      if (!(await this.meterMappings.exists(scope, request.meter_id))) {
        throw new DomainError('REQUEST.INVALID', 'meter_id: unknown meter', [
          { field: 'meter_id', reason: 'no Stripe meter mapping for this meter in this tenant and environment' },
        ]);
      }
    }
    const windows = splitIntoWindows(new Date(from).toISOString(), new Date(to).toISOString(), windowMinutes);
    return {
      tenantId: scope.tenantId,
      environmentId: scope.environmentId,
      timeFrom: windows[0].start,
      timeTo: windows[windows.length - 1].end,
      ...(request.customer_id === undefined ? {} : { customerId: request.customer_id }),
      ...(request.meter_id === undefined ? {} : { meterId: request.meter_id }),
      windowMinutes,
    };
  }
}
