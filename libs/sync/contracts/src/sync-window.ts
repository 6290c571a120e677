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
