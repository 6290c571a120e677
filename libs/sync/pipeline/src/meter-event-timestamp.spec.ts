import { checkMeterEventTimestamp, meterEventTimestamp } from './meter-event-timestamp';

const at = (iso: string) => new Date(iso);
const seconds = (iso: string) => Date.parse(iso) / 1000;

describe('meter event timestamp', () => {
  const window = { start: at('2026-11-27T04:00:00Z'), end: at('2026-11-27T05:00:00Z') };

  it('is the last second of a closed window', () => {
    expect(meterEventTimestamp(window, Date.parse('2026-11-27T05:05:00Z'))).toEqual({ ok: true, seconds: seconds('2026-11-27T04:59:59Z') });
  });

  it('is now for a window still open, so it is never in the future', () => {
    expect(meterEventTimestamp(window, Date.parse('2026-11-27T04:30:00.700Z'))).toEqual({
      ok: true,
      seconds: seconds('2026-11-27T04:30:00Z'),
    });
  });

  it("fails a window beyond Stripe's 35 days (less the safety margin) with a clear reason", () => {
    const now = Date.parse('2027-01-01T05:00:00Z');
    const result = meterEventTimestamp(window, now);
    expect(result).toEqual({
      ok: false,
      reason: expect.stringMatching(
        /^window too old for Stripe: meter event timestamp 2026-11-27T04:59:59.000Z is beyond Stripe's 35-day limit/,
      ),
    });
    const justInside = Date.parse('2026-11-27T04:59:59Z') + (35 * 24 - 2) * 3_600_000;
    expect(meterEventTimestamp(window, justInside).ok).toBe(true);
    const insideMargin = Date.parse('2026-11-27T04:59:59Z') + (35 * 24 - 0.5) * 3_600_000;
    expect(meterEventTimestamp(window, insideMargin).ok).toBe(false);
  });

  it('fails a timestamp more than 5 minutes ahead', () => {
    const now = Date.parse('2026-11-27T03:00:00Z');
    expect(meterEventTimestamp(window, now)).toEqual({ ok: false, reason: expect.stringMatching(/^window in the future/) });
    expect(checkMeterEventTimestamp(seconds('2026-11-27T03:04:59Z'), now).ok).toBe(true);
  });
});
