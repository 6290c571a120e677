import { TokenBucketRateLimiter } from './request-rate-limiter';

function fakeTime(): { now: () => number; sleep: (ms: number) => Promise<void>; sleeps: number[]; advance: (ms: number) => void } {
  let current = 1_000_000;
  const sleeps: number[] = [];
  return {
    now: () => current,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    sleeps,
    advance: (ms) => {
      current += ms;
    },
  };
}

describe('TokenBucketRateLimiter', () => {
  it('lets a burst through and then spaces callers one interval apart', async () => {
    const time = fakeTime();
    const limiter = new TokenBucketRateLimiter({ ratePerSecond: 4, now: time.now, sleep: time.sleep });

    for (let call = 0; call < 6; call += 1) {
      await limiter.acquire();
    }

    expect(time.sleeps).toEqual([250, 500]);
  });

  it('serves concurrent callers in order without two sharing a slot', async () => {
    const time = fakeTime();
    const limiter = new TokenBucketRateLimiter({ ratePerSecond: 10, burst: 1, now: time.now, sleep: time.sleep });

    await Promise.all([limiter.acquire(), limiter.acquire(), limiter.acquire()]);

    expect(time.sleeps).toEqual([100, 200]);
  });

  it('recovers its burst after idling', async () => {
    const time = fakeTime();
    const limiter = new TokenBucketRateLimiter({ ratePerSecond: 2, now: time.now, sleep: time.sleep });
    await limiter.acquire();
    await limiter.acquire();
    time.advance(5_000);

    await limiter.acquire();
    await limiter.acquire();

    expect(time.sleeps).toEqual([]);
    expect(limiter.delayMs()).toBe(500);
  });

  it('refuses a non-positive rate', () => {
    expect(() => new TokenBucketRateLimiter({ ratePerSecond: 0 })).toThrow(/positive/);
  });
});
