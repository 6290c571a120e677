/** Stripe refuses meter events older than this… */
export const STRIPE_MAX_EVENT_AGE_SECONDS = 35 * 24 * 60 * 60;
/** …or further ahead than this. */
export const STRIPE_MAX_FUTURE_SECONDS = 5 * 60;
/**
 * A push can wait in the rate limiter and in retries after its timestamp is checked; refusing windows this much
 * before Stripe's limit keeps the check honest instead of turning it into a Stripe 400 later.
 */
export const DEFAULT_AGE_SAFETY_MARGIN_SECONDS = 60 * 60;

export type TimestampCheck = { ok: true; seconds: number } | { ok: false; reason: string };

export interface WindowBounds {
  start: Date;
  end: Date;
}

/**
 * The meter event timestamp of a window's push: the window's last second, or now if the window is still open, so
 * it is inside the window, never in the future, and as young as possible (the most room under Stripe's 35 days
 * for late corrections). Windows too old or too far ahead fail with a reason instead of being skipped.
 */
export function meterEventTimestamp(
  window: WindowBounds,
  nowMs: number,
  marginSeconds = DEFAULT_AGE_SAFETY_MARGIN_SECONDS,
): TimestampCheck {
  const startSeconds = Math.ceil(window.start.getTime() / 1000);
  const lastSecond = Math.ceil(window.end.getTime() / 1000) - 1;
  const seconds = Math.max(startSeconds, Math.min(lastSecond, Math.floor(nowMs / 1000)));
  return checkMeterEventTimestamp(seconds, nowMs, marginSeconds);
}

/** Stripe's timestamp rule, for a timestamp chosen now or frozen in the ledger earlier. */
export function checkMeterEventTimestamp(
  seconds: number,
  nowMs: number,
  marginSeconds = DEFAULT_AGE_SAFETY_MARGIN_SECONDS,
): TimestampCheck {
  const nowSeconds = Math.floor(nowMs / 1000);
  const at = new Date(seconds * 1000).toISOString();
  if (seconds < nowSeconds - STRIPE_MAX_EVENT_AGE_SECONDS + marginSeconds) {
    return {
      ok: false,
      reason: `window too old for Stripe: meter event timestamp ${at} is beyond Stripe's 35-day limit (less a ${marginSeconds} s safety margin)`,
    };
  }
  if (seconds > nowSeconds + STRIPE_MAX_FUTURE_SECONDS) {
    return { ok: false, reason: `window in the future: meter event timestamp ${at} is more than 5 minutes ahead of now` };
  }
  return { ok: true, seconds };
}
