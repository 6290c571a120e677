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
