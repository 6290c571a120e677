import { type ReservedSlots, SharedBudgetRateLimiter, sharedBudgetBurst } from './request-rate-limiter';

/** The shared GCRA step as the Postgres budget does it, on a clock the test moves. */
function sharedBudget(
  ratePerSecond: number,
  clock: { now: number },
): { reserve: (count: number) => Promise<ReservedSlots>; reservations: number } {
  const intervalMs = 1000 / ratePerSecond;
  let nextSlotMs = 0;
  const budget = {
    reservations: 0,
    reserve: (count: number): Promise<ReservedSlots> => {
      budget.reservations += 1;
      const first = Math.max(nextSlotMs, clock.now);
      nextSlotMs = first + count * intervalMs;
      return Promise.resolve({ firstSlotMs: first, nowMs: clock.now });
    },
  };
  return budget;
}

describe('SharedBudgetRateLimiter', () => {
  it('keeps two processes sharing one budget at the rate together, within one burst, with even shares', async () => {
    const clock = { now: 1_000_000 };
    const budget = sharedBudget(100, clock);
    const grants: { process: string; atMs: number }[] = [];
    const processes = ['a', 'b'].map((name) => {
      const limiter = new SharedBudgetRateLimiter({
        ratePerSecond: 100,
        slotsPerReservation: 5,
        burst: 5,
        reserve: budget.reserve,
        now: () => clock.now,
        // Sleeping moves the shared clock: both processes run on one timeline.
        sleep: (ms) => {
          clock.now = Math.max(clock.now, clock.now + ms);
          return Promise.resolve();
        },
      });
      return { name, limiter };
    });

    const started = clock.now;
    for (let round = 0; round < 200; round += 1) {
      for (const { name, limiter } of processes) {
        await limiter.acquire();
        grants.push({ process: name, atMs: clock.now });
      }
    }
    const elapsedMs = clock.now - started;

    // 400 calls at 100/s, the first slot now and each usable 2.5 slots early: about 3.965 s, never faster.
    expect(elapsedMs).toBeGreaterThanOrEqual(((400 - 1 - 2.5) * 1000) / 100 - 1);
    for (const { atMs } of grants) {
      const inLastSecond = grants.filter((grant) => grant.atMs > atMs - 1000 && grant.atMs <= atMs).length;
      expect(inLastSecond).toBeLessThanOrEqual(100 + 5);
    }
    expect(grants.filter((grant) => grant.process === 'a')).toHaveLength(200);
    // Slots were reserved a run at a time, not one round trip per call.
    expect(budget.reservations).toBeLessThanOrEqual(400 / 5 + 2);
  });

  it('never hands out a slot of another process: runs reserved apart are used apart', async () => {
    const clock = { now: 0 };
    const budget = sharedBudget(10, clock);
    const sleeps: number[] = [];
    const limiter = new SharedBudgetRateLimiter({
      ratePerSecond: 10,
      slotsPerReservation: 2,
      burst: 1,
      reserve: budget.reserve,
      now: () => clock.now,
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
    });

    await limiter.acquire();
    // Another replica takes the next 4 slots (400 ms) before this one reserves again.
    await budget.reserve(4);
    await limiter.acquire();
    await limiter.acquire();

    // Own run: slots at 0 and 100 ms; the other replica's run: 200–500 ms; the next own run starts at 600 ms. A slot
    // may be used half a burst (50 ms) early.
    expect(sleeps).toEqual([50, 550]);
  });

  it('gives up a slot its caller woke too late for, so a stalled event loop does not crowd the next second', async () => {
    const clock = { now: 0 };
    const budget = sharedBudget(10, clock);
    const limiter = new SharedBudgetRateLimiter({
      ratePerSecond: 10,
      slotsPerReservation: 2,
      burst: 2,
      reserve: budget.reserve,
      now: () => clock.now,
      sleep: (ms) => {
        clock.now += ms;
        return Promise.resolve();
      },
    });
    await limiter.acquire();
    // The process stalls 350 ms: the slots at 100–300 ms passed unused.
    clock.now += 350;
    const grants: number[] = [];
    for (let call = 0; call < 12; call += 1) {
      await limiter.acquire();
      grants.push(clock.now);
    }

    expect(grants[0]).toBeGreaterThanOrEqual(350);
    for (const at of grants) expect(grants.filter((other) => other > at - 1000 && other <= at).length).toBeLessThanOrEqual(10 + 2);
  });

  it('defaults its burst to a quarter second of slots, at least 2', () => {
    expect(sharedBudgetBurst(1_000)).toBe(250);
    expect(sharedBudgetBurst(20)).toBe(5);
    expect(sharedBudgetBurst(1)).toBe(2);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new SharedBudgetRateLimiter({ ratePerSecond: 0, reserve: () => Promise.resolve({ firstSlotMs: 0, nowMs: 0 }) })).toThrow(
      'ratePerSecond must be positive',
    );
  });
});
