import type { SyncWindow } from './sync-window';

const MINUTE_MS = 60_000;

export interface WindowPlanInput {
  /** Windows already synced for the tenant+environment (any size, any order); they are kept as they are. */
  synced: readonly SyncWindow[];
  /** The tenant's current `aggregation_window_minutes`. */
  windowMinutes: number;
  /** Plan windows that end after this instant… */
  from: string;
  /** …and at or before this one (windows still open at `to` are left for later). */
  to: string;
}

interface Span {
  start: number;
  end: number;
}

function toSpan(window: SyncWindow): Span {
  const start = Date.parse(window.start);
  const end = Date.parse(window.end);
  if (!Number.isFinite(start) || !Number.isFinite(end) || start >= end) {
    throw new RangeError(`synced window ${window.start}..${window.end} is not a half-open ISO-8601 range`);
  }
  return { start, end };
}

function toWindow(start: number, end: number): SyncWindow {
  return { start: new Date(start).toISOString(), end: new Date(end).toISOString() };
}

function nextBoundary(at: number, size: number): number {
  return Math.floor(at / size) * size + size;
}

/**
 * Plans the windows covering `(from, to]` when the window size may have changed since windows were synced: every
 * synced window is kept (its usage is in Stripe under its identities, so a window overlapping it could count it
 * twice), and the time between them is tiled with the new size wherever a new-size window is aligned and overlaps
 * nothing, else with windows of the size synced just before (the old size), cut at the next new-size boundary and
 * at the next synced window. So a change of `aggregation_window_minutes` takes effect at the
 * first boundary where it can, and nothing in between is left unsynced. Windows are returned oldest first,
 * contiguous; pure and deterministic (safe in workflow code).
 */
export function planWindows(input: WindowPlanInput): SyncWindow[] {
  const from = Date.parse(input.from);
  const to = Date.parse(input.to);
  if (!Number.isFinite(from) || !Number.isFinite(to)) throw new RangeError('from and to must be ISO-8601 instants');
  if (!Number.isInteger(input.windowMinutes) || input.windowMinutes <= 0) throw new RangeError('window minutes must be a positive integer');
  const size = input.windowMinutes * MINUTE_MS;
  const synced = input.synced.map(toSpan).sort((a, b) => a.start - b.start || a.end - b.end);

  const planned: SyncWindow[] = [];
  let previousSize: number | undefined;
  let next = 0;
  // A new-size boundary at or before `from`; a synced window covering it is kept and the tiling goes on after it.
  let cursor = Math.floor(from / size) * size;

  while (cursor < to) {
    while (next < synced.length && synced[next].end <= cursor) next += 1;
    const blocking = synced[next];
    if (blocking && blocking.start <= cursor) {
      if (blocking.end > to) break;
      planned.push(toWindow(blocking.start, blocking.end));
      previousSize = blocking.end - blocking.start;
      cursor = blocking.end;
      continue;
    }
    const free = blocking ? blocking.start : Number.POSITIVE_INFINITY;
    let end: number;
    if (cursor % size === 0 && cursor + size <= free) end = cursor + size;
    else {
      // The old size, cut at the next new-size boundary (where the new size takes over) and at the next synced window.
      const oldEnd = previousSize === undefined ? Number.POSITIVE_INFINITY : nextBoundary(cursor, previousSize);
      end = Math.min(free, nextBoundary(cursor, size), oldEnd);
    }
    if (end > to) break;
    planned.push(toWindow(cursor, end));
    cursor = end;
  }
  return planned.filter((window) => Date.parse(window.end) > from);
}
