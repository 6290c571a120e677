/**
 * The emulator's model of Stripe's rate limiter, which refuses (429) rather than waits: a continuous-refill token
 * bucket whose capacity is one second of the rate, so an idle account can burst up to its per-second limit, as
 * Stripe's limiter allows. The services pace themselves with `TokenBucketRateLimiter` in `@flexsync/stripe-client`;
 * this model stays separate because it is the other side of that contract.
 */
export class StripeLimiterModel {
  private tokens: number;
  private updatedAtMs: number;

  constructor(
    private ratePerSecond: number,
    private readonly now: () => number,
  ) {
    this.tokens = ratePerSecond;
    this.updatedAtMs = now();
  }

  get rate(): number {
    return this.ratePerSecond;
  }

  setRate(ratePerSecond: number): void {
    this.refill();
    this.ratePerSecond = ratePerSecond;
    this.tokens = Math.min(this.tokens, ratePerSecond);
  }

  tryTake(): boolean {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  private refill(): void {
    const nowMs = this.now();
    const elapsedMs = Math.max(0, nowMs - this.updatedAtMs);
    this.updatedAtMs = nowMs;
    this.tokens = Math.min(this.ratePerSecond, this.tokens + (elapsedMs * this.ratePerSecond) / 1000);
  }
}
