import { Inject, Injectable } from '@nestjs/common';
import { TokenBucketRateLimiter } from '@flexsync/stripe-client';
import { WebhookIngestConfig } from '../webhook-ingest.config';

/** Bounds memory under a spread-out scan; the least recently failing sources are forgotten first. */
const MAX_TRACKED_SOURCES = 10_000;

/** Failures are booked, never waited for: the budget only answers whether a source may still fail. */
const neverWait = (): Promise<void> => Promise.resolve();

/**
 * How many failed deliveries (bad signature, unknown endpoint) each source address may still make: the project's token
 * bucket ({@link TokenBucketRateLimiter}) per source, `WEBHOOK_FAILURES_PER_MINUTE_PER_SOURCE` a minute, all of them
 * usable at once. Only failures spend tokens, so Stripe's valid deliveries from the same address are never slowed by
 * the budget until that address has been failing.
 */
@Injectable()
export class SourceFailureBudget {
  private readonly buckets = new Map<string, TokenBucketRateLimiter>();
  private readonly perMinute: number;

  constructor(@Inject(WebhookIngestConfig) config: WebhookIngestConfig) {
    this.perMinute = config.WEBHOOK_FAILURES_PER_MINUTE_PER_SOURCE;
  }

  /** False once `source` has spent its budget. */
  allows(source: string): boolean {
    const bucket = this.buckets.get(source);
    return bucket === undefined || bucket.delayMs() === 0;
  }

  spend(source: string): void {
    const bucket =
      this.buckets.get(source) ??
      new TokenBucketRateLimiter({ ratePerSecond: this.perMinute / 60, burst: this.perMinute, now: () => Date.now(), sleep: neverWait });
    void bucket.acquire();
    this.buckets.delete(source);
    if (this.buckets.size >= MAX_TRACKED_SOURCES) this.buckets.delete(this.buckets.keys().next().value as string);
    this.buckets.set(source, bucket);
  }
}
