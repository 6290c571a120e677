import { pushIdempotencyKey } from './stripe-meter-event-sender';
import { DEFAULT_ROW_RETRY_SCHEDULE, nextAttemptAt } from './retry-schedule';

describe('the Idempotency-Key of a push', () => {
  it('is the identifier on the first call, and fresh after each 5xx and on each later attempt', () => {
    const keys = [
      pushIdempotencyKey('flexprice_x', 1, 0),
      pushIdempotencyKey('flexprice_x', 1, 1),
      pushIdempotencyKey('flexprice_x', 1, 2),
      pushIdempotencyKey('flexprice_x', 2, 0),
      pushIdempotencyKey('flexprice_x', 2, 1),
    ];
    expect(keys[0]).toBe('flexprice_x');
    expect(new Set(keys).size).toBe(keys.length);
    expect(pushIdempotencyKey('flexprice_x', 2, 1)).toBe(keys[4]);
    expect(keys.every((key) => key.startsWith('flexprice_x') && key.length <= 255)).toBe(true);
  });
});

describe('the next attempt of a failed row', () => {
  it('backs off from a minute, doubling per failure, capped at six hours', () => {
    const now = Date.UTC(2026, 11, 2);
    const dueIn = (failure: number) => Date.parse(nextAttemptAt(failure, now, DEFAULT_ROW_RETRY_SCHEDULE, () => 1)) - now;
    expect(dueIn(1)).toBe(60_000);
    expect(dueIn(2)).toBe(120_000);
    expect(dueIn(30)).toBe(6 * 3_600_000);
  });
});
