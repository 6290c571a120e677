import { DomainError } from '@flexsync/runtime';

export interface BatchCursor {
  createdAt: Date;
  id: string;
}

export function encodeBatchCursor(cursor: BatchCursor): string {
  return Buffer.from(`${cursor.createdAt.toISOString()}|${cursor.id}`).toString('base64url');
}

export function decodeBatchCursor(value: string): BatchCursor {
  const [createdAt, id] = Buffer.from(value, 'base64url').toString('utf8').split('|');
  const date = new Date(createdAt ?? '');
  if (!id || !/^[0-9a-f-]{36}$/.test(id) || Number.isNaN(date.getTime())) {
    throw new DomainError('REQUEST.INVALID', 'cursor: not a next_cursor value', [{ field: 'cursor', reason: 'not a next_cursor value' }]);
  }
  return { createdAt: date, id };
}
