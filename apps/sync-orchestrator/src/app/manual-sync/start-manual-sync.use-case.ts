import { Injectable } from '@nestjs/common';
import type { TenantScope } from '@flexsync/persistence';
import { DomainError } from '@flexsync/runtime';
import { splitIntoWindows } from '@flexsync/sync-contracts';
import { SyncWorkflowStarter } from '../shared/sync-workflow-starter';
import { TenantSyncSettingsReader } from '../shared/sync-settings';
import { ManualSyncRequestDto, ManualSyncStartedView } from './manual-sync.dto';

/** Stripe accepts meter events at most 35 days old, so a longer manual range could never be pushed. */
export const MAX_MANUAL_SYNC_DAYS = 35;
const DAY_MS = 86_400_000;

@Injectable()
export class StartManualSync {
  constructor(
    private readonly settings: TenantSyncSettingsReader,
    private readonly starter: SyncWorkflowStarter,
  ) {}

  async execute(scope: TenantScope, request: ManualSyncRequestDto): Promise<ManualSyncStartedView> {
    const from = Date.parse(request.time_from);
    const to = Date.parse(request.time_to);
    if (from >= to) {
      throw new DomainError('SYNC.INVALID_WINDOW', 'time_from must be before time_to', [
        { field: 'time_from', reason: 'must be before time_to' },
      ]);
    }
    if (to - from > MAX_MANUAL_SYNC_DAYS * DAY_MS) {
      throw new DomainError('SYNC.INVALID_WINDOW', `a manual sync covers at most ${MAX_MANUAL_SYNC_DAYS} days`, [
        { field: 'time_to', reason: `must be at most ${MAX_MANUAL_SYNC_DAYS} days after time_from` },
      ]);
    }
    const { windowMinutes } = await this.settings.require(scope);
    const windows = splitIntoWindows(request.time_from, request.time_to, windowMinutes);
    const timeFrom = windows[0].start;
    const timeTo = windows[windows.length - 1].end;
    const started = await this.starter.start(
      {
        tenantId: scope.tenantId,
        environmentId: scope.environmentId,
        timeFrom,
        timeTo,
        windowMinutes,
        customerId: request.entity_id,
        forceRerun: request.force_rerun ?? false,
        trigger: 'manual',
      },
      'manual',
    );
    return { workflow_id: started.workflowId, run_id: started.runId, time_from: timeFrom, time_to: timeTo, windows: windows.length };
  }
}
