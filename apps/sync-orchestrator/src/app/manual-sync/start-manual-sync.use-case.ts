import { Injectable } from '@nestjs/common';
import type { TenantPrincipal } from '@flexsync/auth';
import { DomainError } from '@flexsync/runtime';
import { splitIntoWindows } from '@flexsync/sync-contracts';
import { ManualSyncAdmission } from '../shared/manual-sync-admission';
import { manualSyncWorkflowId } from '../shared/manual-sync-workflow-id';
import { SyncWorkflowStarter } from '../shared/sync-workflow-starter';
import { TenantSyncSettingsReader } from '../shared/sync-settings';
import { ManualSyncRequestDto, ManualSyncStartedView } from './manual-sync.dto';
import { assertWithinStripeAgeLimit } from './stripe-age-limit';

/** Stripe accepts meter events at most 35 days old, so a longer manual range could never be pushed whole. */
export const MAX_MANUAL_SYNC_DAYS = 35;
const DAY_MS = 86_400_000;

@Injectable()
export class StartManualSync {
  constructor(
    private readonly settings: TenantSyncSettingsReader,
    private readonly starter: SyncWorkflowStarter,
    private readonly admission: ManualSyncAdmission,
  ) {}

  async execute(principal: TenantPrincipal, request: ManualSyncRequestDto): Promise<ManualSyncStartedView> {
    if (Date.parse(request.time_from) >= Date.parse(request.time_to)) {
      throw new DomainError('SYNC.INVALID_WINDOW', 'time_from must be before time_to', [
        { field: 'time_from', reason: 'must be before time_to' },
      ]);
    }
    const { windowMinutes } = await this.settings.require(principal);
    const windows = splitIntoWindows(request.time_from, request.time_to, windowMinutes);
    assertWithinStripeAgeLimit(windows[0], Date.now());
    if (Date.parse(request.time_to) - Date.parse(request.time_from) > MAX_MANUAL_SYNC_DAYS * DAY_MS) {
      throw new DomainError('SYNC.INVALID_WINDOW', `a manual sync covers at most ${MAX_MANUAL_SYNC_DAYS} days`, [
        { field: 'time_to', reason: `must be at most ${MAX_MANUAL_SYNC_DAYS} days after time_from` },
      ]);
    }
    const timeFrom = windows[0].start;
    const timeTo = windows[windows.length - 1].end;
    const forceRerun = request.force_rerun ?? false;
    const identity = {
      tenantId: principal.tenantId,
      environmentId: principal.environmentId,
      timeFrom,
      timeTo,
      customerId: request.entity_id,
      forceRerun,
    };
    const workflowId = manualSyncWorkflowId(identity);
    const admitted = await this.admission.admit(
      principal,
      { kind: 'manual', workflowId, requestedBy: principal.subject, requestedAs: principal.actingAs, windowMinutes, ...identity },
      () => this.starter.start({ ...identity, windowMinutes, trigger: 'manual' }, { workflowId, requestedBy: principal.subject }),
    );
    return { workflow_id: admitted.workflowId, run_id: admitted.runId, time_from: timeFrom, time_to: timeTo, windows: windows.length };
  }
}
