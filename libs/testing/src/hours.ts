export const HOUR_MS = 3_600_000;

/**
 * The start of the hour `hoursAgo` hours before the one `nowMs` falls in: recent enough for Stripe's 35-day rule.
 * A spec that seeds usage in one step and pushes or checks it in a later one passes one `nowMs` to both, so an hour
 * turning between them cannot move its windows.
 */
export function hourAgo(hoursAgo: number, nowMs = Date.now()): Date {
  return new Date(Math.floor(nowMs / HOUR_MS) * HOUR_MS - hoursAgo * HOUR_MS);
}
