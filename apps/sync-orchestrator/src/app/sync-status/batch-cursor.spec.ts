import { DomainError } from '@flexsync/runtime';
import { decodeBatchCursor, encodeBatchCursor } from './batch-cursor';

const ID = '0f8fad5b-d9cb-469f-a165-70867728950e';

describe('batch cursor', () => {
  it('round-trips a microsecond created_at exactly', () => {
    const cursor = { createdAt: '2025-06-21T04:00:00.123456Z', id: ID };
    expect(decodeBatchCursor(encodeBatchCursor(cursor))).toEqual(cursor);
  });

  it.each([
    ['a millisecond timestamp (would skip rows sharing a microsecond now())', `2025-06-21T04:00:00.123Z|${ID}`],
    ['a timestamp that is not one', `2025-13-45T04:00:00.123456Z|${ID}`],
    ['an id that is not a uuid', '2025-06-21T04:00:00.123456Z|1 OR 1=1'],
    ['extra parts', `2025-06-21T04:00:00.123456Z|${ID}|x`],
    ['nothing', ''],
  ])('refuses %s with 400 naming cursor', (_case, text) => {
    let error: unknown;
    try {
      decodeBatchCursor(Buffer.from(text).toString('base64url'));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).details).toEqual([{ field: 'cursor', reason: 'not a next_cursor value' }]);
  });
});
