import { DomainError, isExternalId } from '@flexsync/runtime';
import type { CellQuery } from '@flexsync/sync-pipeline';

type CellPosition = NonNullable<CellQuery['after']>;

/** Keyset position in the cell listing: the last cell's window, customer and meter (a meter id may hold any visible character). */
export function encodeCellCursor(cell: { windowStart: string; windowEnd: string; customerId: string; meterId: string }): string {
  return Buffer.from(JSON.stringify([cell.windowStart, cell.windowEnd, cell.customerId, cell.meterId])).toString('base64url');
}

export function decodeCellCursor(value: string): CellPosition {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    parts = undefined;
  }
  if (Array.isArray(parts) && parts.length === 4) {
    const [start, end, customerId, meterId] = parts as unknown[];
    const windowStart = new Date(typeof start === 'string' ? start : '');
    const windowEnd = new Date(typeof end === 'string' ? end : '');
    if (!Number.isNaN(windowStart.getTime()) && !Number.isNaN(windowEnd.getTime()) && isExternalId(customerId) && isExternalId(meterId)) {
      return { windowStart, windowEnd, customerId, meterId };
    }
  }
  throw new DomainError('REQUEST.INVALID', 'cursor: not a next_cursor value', [{ field: 'cursor', reason: 'not a next_cursor value' }]);
}
