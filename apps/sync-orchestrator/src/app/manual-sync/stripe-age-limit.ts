import { DomainError } from '@flexsync/runtime';
import { DEFAULT_AGE_SAFETY_MARGIN_SECONDS, meterEventTimestamp, STRIPE_MAX_EVENT_AGE_SECONDS } from '@flexsync/sync-pipeline';
import type { SyncWindow } from '@flexsync/sync-contracts';

/**
 * Why the pipeline would refuse to push this window (Stripe's 35-day limit less the pipeline's safety margin, or a
 * window in the future), or undefined. It applies the pipeline's own timestamp rule, so the API and the worker can
 * never disagree about what is too old.
 */
export function stripeAgeProblem(window: SyncWindow, nowMs: number): string | undefined {
  const check = meterEventTimestamp({ start: new Date(window.start), end: new Date(window.end) }, nowMs);
  if (check.ok) return undefined;
  if (Date.parse(window.start) > nowMs) return 'must not be in the future';
  const limitDays = STRIPE_MAX_EVENT_AGE_SECONDS / 86_400;
  const marginMinutes = DEFAULT_AGE_SAFETY_MARGIN_SECONDS / 60;
  const earliest = new Date(nowMs - (STRIPE_MAX_EVENT_AGE_SECONDS - DEFAULT_AGE_SAFETY_MARGIN_SECONDS) * 1000).toISOString();
  return `must be within Stripe's ${limitDays}-day limit for meter events less a ${marginMinutes}-minute safety margin (a window ending after ${earliest})`;
}

/** Refuses a manual sync whose first window could not be pushed, before any workflow starts. */
export function assertWithinStripeAgeLimit(firstWindow: SyncWindow, nowMs: number): void {
  const reason = stripeAgeProblem(firstWindow, nowMs);
  if (reason !== undefined) throw new DomainError('SYNC.INVALID_WINDOW', `time_from ${reason}`, [{ field: 'time_from', reason }]);
}
