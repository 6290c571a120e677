import { StripeLimiterModel } from './stripe-limiter-model';

describe('StripeLimiterModel', () => {
  it('allows a burst of one second of the rate, then refills continuously', () => {
    let now = 0;
    const bucket = new StripeLimiterModel(4, () => now);

    const burst = [1, 2, 3, 4, 5].map(() => bucket.tryTake());
    now = 250;
    const afterQuarterSecond = [bucket.tryTake(), bucket.tryTake()];

    expect(burst).toEqual([true, true, true, true, false]);
    expect(afterQuarterSecond).toEqual([true, false]);
  });

  it('never stores more than one second of tokens', () => {
    let now = 0;
    const bucket = new StripeLimiterModel(2, () => now);
    now = 60_000;

    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([true, true, false]);
  });

  it('applies a lower rate immediately when the rate changes', () => {
    const bucket = new StripeLimiterModel(10, () => 0);
    bucket.setRate(1);

    expect([bucket.tryTake(), bucket.tryTake()]).toEqual([true, false]);
    expect(bucket.rate).toBe(1);
  });
});
