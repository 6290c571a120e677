/** A half-open usage window `[start, end)`, in ISO-8601 UTC. */
export interface SyncWindow {
  start: string;
  end: string;
}

const MINUTE_MS = 60_000;

/**
 * Splits `[from, to)` into windows aligned to `windowMinutes` (aligned to the Unix epoch, so hourly windows start
 * on the hour). `from` is rounded down and `to` up to window boundaries, so every instant in the range falls in
 * exactly one window. Pure and deterministic: safe inside workflow code.
 */
export function splitIntoWindows(from: string, to: string, windowMinutes: number): SyncWindow[] {
  const fromMs = Date.parse(from);
  const toMs = Date.parse(to);
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs)) throw new RangeError('time_from and time_to must be ISO-8601 instants');
  if (fromMs >= toMs) throw new RangeError('time_from must be before time_to');
  if (!Number.isInteger(windowMinutes) || windowMinutes <= 0) throw new RangeError('window minutes must be a positive integer');
  const size = windowMinutes * MINUTE_MS;
  const first = Math.floor(fromMs / size) * size;
  const last = Math.ceil(toMs / size) * size;
  const windows: SyncWindow[] = [];
  for (let start = first; start < last; start += size) {
    windows.push({ start: new Date(start).toISOString(), end: new Date(start + size).toISOString() });
  }
  return windows;
}

const HOUR_MS = 60 * MINUTE_MS;

/**
 * The windows a schedule tick at `firedAt` syncs: every window of `windowMinutes` that closed at or before the last
 * hour boundary and after `lookbackHours` before it. Ticks fire a few minutes after the hour (the grace period), so
 * the boundary is the hour that just closed; a window still open (e.g. today's, for daily windows) is never pushed.
 * Returns undefined when no window closed in that span.
 */
export function closedWindowRange(
  firedAt: string,
  lookbackHours: number,
  windowMinutes: number,
): { timeFrom: string; timeTo: string } | undefined {
  const fired = Date.parse(firedAt);
  if (!Number.isFinite(fired)) throw new RangeError('firedAt must be an ISO-8601 instant');
  if (!Number.isInteger(lookbackHours) || lookbackHours < 1) throw new RangeError('lookbackHours must be a positive integer');
  if (!Number.isInteger(windowMinutes) || windowMinutes <= 0) throw new RangeError('window minutes must be a positive integer');
  const size = windowMinutes * MINUTE_MS;
  const boundary = Math.floor(fired / HOUR_MS) * HOUR_MS;
  const spanStart = boundary - lookbackHours * HOUR_MS;
  const lastEnd = Math.floor(boundary / size) * size;
  const firstEnd = Math.floor(spanStart / size) * size + size;
  if (firstEnd > lastEnd) return undefined;
  return { timeFrom: new Date(firstEnd - size).toISOString(), timeTo: new Date(lastEnd).toISOString() };
}
