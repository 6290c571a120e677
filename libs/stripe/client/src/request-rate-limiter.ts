/** Paces calls to one Stripe account; shared by every client of that account. */
export interface RequestRateLimiter {
  /** Resolves when the caller may send one request. */
  acquire(): Promise<void>;
}

export interface TokenBucketRateLimiterOptions {
  ratePerSecond: number;
  /** Requests allowed back to back after idling; defaults to one second's worth. */
  burst?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Token bucket in its virtual-scheduling form (GCRA): each caller reserves the
 * next free slot, so waiters are served in order and never stampede.
 */
export class TokenBucketRateLimiter implements RequestRateLimiter {
  private readonly intervalMs: number;
  private readonly burstToleranceMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private theoreticalArrivalMs = 0;

  constructor(options: TokenBucketRateLimiterOptions) {
    if (!(options.ratePerSecond > 0)) {
      throw new Error('ratePerSecond must be positive');
    }
    const burst = options.burst ?? Math.max(1, Math.floor(options.ratePerSecond));
    if (!(burst >= 1)) {
      throw new Error('burst must be at least 1');
    }
    this.intervalMs = 1000 / options.ratePerSecond;
    this.burstToleranceMs = (burst - 1) * this.intervalMs;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Milliseconds the next caller would wait. */
  delayMs(): number {
    return Math.max(0, Math.max(this.theoreticalArrivalMs, this.now()) - this.burstToleranceMs - this.now());
  }

  async acquire(): Promise<void> {
    const now = this.now();
    const arrival = Math.max(this.theoreticalArrivalMs, now);
    const waitMs = arrival - this.burstToleranceMs - now;
    this.theoreticalArrivalMs = arrival + this.intervalMs;
    if (waitMs > 0) {
      await this.sleep(waitMs);
    }
  }
}

/** A run of `count` consecutive slots reserved in a budget shared with other processes. */
export interface ReservedSlots {
  /** The first slot's time on the budget's clock (epoch ms); the next ones follow one interval apart. */
  firstSlotMs: number;
  /** The budget's clock when it answered, to place its slots on this process' clock. */
  nowMs: number;
}

export interface SharedBudgetRateLimiterOptions {
  ratePerSecond: number;
  /**
   * Slots reserved per round trip to the shared budget: fewer means fairer shares and less waste when a page ends,
   * more means fewer round trips. Defaults to 50 ms worth (at least one).
   */
  slotsPerReservation?: number;
  /**
   * How far from its time a slot may be used, in slots: half of it early, half late (a slot missed by more is given
   * up, so callers held back by a busy event loop do not all go out at once). Every one-second span then carries at
   * most the rate plus this burst, across every process sharing the budget. Defaults to {@link sharedBudgetBurst}.
   */
  burst?: number;
  /** Reserves `count` consecutive slots: the shared GCRA step, atomic across processes. */
  reserve: (count: number) => Promise<ReservedSlots>;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * A quarter of a second's worth of slots (at least 2): a worker whose event loop stalls up to ~125 ms still uses its
 * slots, and the account never sees more than the rate plus a quarter in any second (Stripe's own bucket holds a
 * second's worth).
 */
export function sharedBudgetBurst(ratePerSecond: number): number {
  return Math.max(2, Math.floor(ratePerSecond / 4));
}

/**
 * Paces calls to one Stripe account by a budget every worker replica shares ({@link ReservedSlots}): slots are
 * reserved a few at a time from the shared token bucket, then handed to callers in order, each waiting for its slot.
 * The next run of slots is reserved while half of the current one is left, so the round trip never stalls callers.
 * Combined, the replicas never go faster than the rate plus one burst; while several want more than the rate, each
 * gets slots in turn, so the shares are even.
 */
export class SharedBudgetRateLimiter implements RequestRateLimiter {
  private readonly intervalMs: number;
  private readonly perReservation: number;
  private readonly earlyMs: number;
  private readonly lateMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Reserved runs of slots not handed out yet, as times on this process' clock (before the burst allowance). */
  private readonly runs: { nextSlotMs: number; remaining: number }[] = [];
  private remaining = 0;
  private reserving: Promise<void> | undefined;

  constructor(private readonly options: SharedBudgetRateLimiterOptions) {
    if (!(options.ratePerSecond > 0)) {
      throw new Error('ratePerSecond must be positive');
    }
    this.intervalMs = 1000 / options.ratePerSecond;
    this.perReservation = Math.max(1, Math.floor(options.slotsPerReservation ?? options.ratePerSecond / 20));
    const burst = options.burst ?? sharedBudgetBurst(options.ratePerSecond);
    if (!(burst >= 1)) {
      throw new Error('burst must be at least 1');
    }
    this.earlyMs = (burst / 2) * this.intervalMs;
    this.lateMs = (burst / 2) * this.intervalMs;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async acquire(): Promise<void> {
    for (;;) {
      const slotMs = await this.nextSlot();
      if (this.now() > slotMs + this.lateMs) continue;
      const waitMs = slotMs - this.earlyMs - this.now();
      if (waitMs <= 0) return;
      await this.sleep(waitMs);
      // Woken too late (a busy event loop): going now would crowd the next slots' callers; take a later slot.
      if (this.now() <= slotMs + this.lateMs) return;
    }
  }

  private async nextSlot(): Promise<number> {
    while (this.remaining === 0) await this.reserveMore();
    // Runs are kept apart: between two of this process' runs the budget may have given slots to another replica.
    const run = this.runs[0];
    const slotMs = run.nextSlotMs;
    run.nextSlotMs += this.intervalMs;
    run.remaining -= 1;
    this.remaining -= 1;
    if (run.remaining === 0) this.runs.shift();
    if (this.remaining < this.perReservation / 2) void this.reserveMore().catch(() => undefined);
    return slotMs;
  }

  /** One reservation in flight at a time; callers needing a slot meanwhile wait for it. */
  private reserveMore(): Promise<void> {
    this.reserving ??= (async () => {
      try {
        const slots = await this.options.reserve(this.perReservation);
        this.runs.push({ nextSlotMs: slots.firstSlotMs - slots.nowMs + this.now(), remaining: this.perReservation });
        this.remaining += this.perReservation;
      } finally {
        this.reserving = undefined;
      }
    })();
    return this.reserving;
  }
}
