import { DomainError } from '@flexsync/runtime';

/**
 * Keyset position in the batch listing: the last row's `created_at` at Postgres' full (microsecond) precision, as
 * text, plus its id. A JavaScript Date keeps milliseconds only, and rows written by one statement share a microsecond
 * `now()`: a millisecond cursor sorts before all of them and pages would skip rows.
 */
export interface BatchCursor {
  /** `YYYY-MM-DDTHH:MM:SS.ffffffZ`, straight from Postgres. */
  createdAt: string;
  id: string;
}

const MICROSECOND_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodeBatchCursor(cursor: BatchCursor): string {
  return Buffer.from(`${cursor.createdAt}|${cursor.id}`).toString('base64url');
}

export function decodeBatchCursor(value: string): BatchCursor {
  const [createdAt, id, extra] = Buffer.from(value, 'base64url').toString('utf8').split('|');
  if (
    extra !== undefined ||
    !createdAt ||
    !MICROSECOND_INSTANT.test(createdAt) ||
    Number.isNaN(Date.parse(createdAt)) ||
    !id ||
    !UUID.test(id)
  ) {
    throw new DomainError('REQUEST.INVALID', 'cursor: not a next_cursor value', [{ field: 'cursor', reason: 'not a next_cursor value' }]);
  }
  return { createdAt, id };
}
