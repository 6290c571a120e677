import { retryBackoffMs } from './retry-backoff';

describe('retryBackoffMs', () => {
  it('doubles per attempt from the base, jittered over the upper half of the step', () => {
    expect(retryBackoffMs(1, 100, 10_000, () => 0)).toBe(50);
    expect(retryBackoffMs(1, 100, 10_000, () => 1)).toBe(100);
    expect(retryBackoffMs(4, 100, 10_000, () => 1)).toBe(800);
  });

  it('never exceeds the cap, however many attempts', () => {
    expect(retryBackoffMs(20, 100, 10_000, () => 1)).toBe(10_000);
    expect(retryBackoffMs(2_000, 60_000, 6 * 3_600_000, () => 1)).toBe(6 * 3_600_000);
  });
});
