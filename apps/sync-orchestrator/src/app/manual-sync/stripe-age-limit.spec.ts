import { DomainError } from '@flexsync/runtime';
import { assertWithinStripeAgeLimit } from './stripe-age-limit';

const NOW = Date.parse('2026-12-02T12:30:00Z');
const DAY_MS = 86_400_000;
const window = (startMs: number, minutes = 60) => ({
  start: new Date(startMs).toISOString(),
  end: new Date(startMs + minutes * 60_000).toISOString(),
});

function refusal(work: () => void): DomainError {
  try {
    work();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('assertWithinStripeAgeLimit (the pipeline’s own timestamp rule)', () => {
  it('accepts a first window whose last second is at least 35 days less the 1 h margin old', () => {
    expect(() => assertWithinStripeAgeLimit(window(NOW - 35 * DAY_MS + 3600_000, 60), NOW)).not.toThrow();
    expect(() => assertWithinStripeAgeLimit(window(NOW - 3 * DAY_MS), NOW)).not.toThrow();
  });

  it('refuses a first window ending inside the margin, naming time_from, the limit and the margin', () => {
    const error = refusal(() => assertWithinStripeAgeLimit(window(NOW - 35 * DAY_MS + 30 * 60_000, 15), NOW));
    expect(error.code).toBe('SYNC.INVALID_WINDOW');
    expect(error.details).toEqual([{ field: 'time_from', reason: expect.stringContaining("Stripe's 35-day limit") }]);
    expect(error.message).toContain('60-minute safety margin');
  });

  it('refuses a range that starts in the future', () => {
    const error = refusal(() => assertWithinStripeAgeLimit(window(NOW + 3600_000), NOW));
    expect(error.details).toEqual([{ field: 'time_from', reason: 'must not be in the future' }]);
  });
});
