import { DomainError } from '@flexsync/runtime';
import { DEFAULT_AGE_SAFETY_MARGIN_SECONDS, meterEventTimestamp, STRIPE_MAX_EVENT_AGE_SECONDS } from '@flexsync/sync-pipeline';
import type { SyncWindow } from '@flexsync/sync-contracts';

/**
 * Refuses a manual sync whose first window the pipeline would refuse to push (Stripe's 35-day limit less the
 * pipeline's safety margin), before any workflow starts. It applies the pipeline's own timestamp rule to the first
 * window, so the API and the worker can never disagree about what is too old.
 */
export function assertWithinStripeAgeLimit(firstWindow: SyncWindow, nowMs: number): void {
  const check = meterEventTimestamp({ start: new Date(firstWindow.start), end: new Date(firstWindow.end) }, nowMs);
  if (check.ok) return;
  if (Date.parse(firstWindow.start) > nowMs) {
    throw new DomainError('SYNC.INVALID_WINDOW', 'time_from must not be in the future', [
      { field: 'time_from', reason: 'must not be in the future' },
    ]);
  }
  const limitDays = STRIPE_MAX_EVENT_AGE_SECONDS / 86_400;
  const marginMinutes = DEFAULT_AGE_SAFETY_MARGIN_SECONDS / 60;
  const earliest = new Date(nowMs - (STRIPE_MAX_EVENT_AGE_SECONDS - DEFAULT_AGE_SAFETY_MARGIN_SECONDS) * 1000).toISOString();
  const reason = `must be within Stripe's ${limitDays}-day limit for meter events less a ${marginMinutes}-minute safety margin (a window ending after ${earliest})`;
  throw new DomainError('SYNC.INVALID_WINDOW', `time_from ${reason}`, [{ field: 'time_from', reason }]);
}
