import { retryBackoffMs } from '@flexsync/stripe-client';

/** How the system spaces its own retries of a failed row across runs. */
export interface RowRetrySchedule {
  /** The first retry comes about this long after the first failure. */
  baseMs: number;
  /** No retry is further away than this. */
  maxMs: number;
}

/** Default: 1 min, doubling per failure, capped at 6 h. */
export const DEFAULT_ROW_RETRY_SCHEDULE: RowRetrySchedule = { baseMs: 60_000, maxMs: 6 * 3_600_000 };

/** When a row failing for the `failureNumber`-th time is next tried by the system itself (ISO-8601). */
export function nextAttemptAt(
  failureNumber: number,
  nowMs: number,
  schedule: RowRetrySchedule,
  random: () => number = Math.random,
): string {
  return new Date(nowMs + retryBackoffMs(failureNumber, schedule.baseMs, schedule.maxMs, random)).toISOString();
}
