import { Inject, Injectable } from '@nestjs/common';
import { WebhookIngestConfig } from '../webhook-ingest.config';

interface Bucket {
  tokens: number;
  refilledAt: number;
}

/** Bounds memory under a spread-out scan; the least recently failing sources are forgotten first. */
const MAX_TRACKED_SOURCES = 10_000;

/**
 * How many failed deliveries (bad signature, unknown endpoint) each source address may still make: a token bucket of
 * `WEBHOOK_FAILURES_PER_MINUTE_PER_SOURCE` per minute. Only failures spend tokens, so Stripe's valid deliveries from
 * the same address are never slowed by the budget until that address has been failing.
 */
@Injectable()
export class SourceFailureBudget {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMinute: number;

  constructor(@Inject(WebhookIngestConfig) config: WebhookIngestConfig) {
    this.perMinute = config.WEBHOOK_FAILURES_PER_MINUTE_PER_SOURCE;
  }

  /** False once `source` has spent its budget. */
  allows(source: string): boolean {
    const bucket = this.buckets.get(source);
    return bucket === undefined || this.refill(bucket) >= 1;
  }

  spend(source: string): void {
    const bucket = this.buckets.get(source) ?? { tokens: this.perMinute, refilledAt: Date.now() };
    this.refill(bucket);
    bucket.tokens = Math.max(0, bucket.tokens - 1);
    this.buckets.delete(source);
    if (this.buckets.size >= MAX_TRACKED_SOURCES) this.buckets.delete(this.buckets.keys().next().value as string);
    this.buckets.set(source, bucket);
  }

  private refill(bucket: Bucket): number {
    const now = Date.now();
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + ((now - bucket.refilledAt) / 60_000) * this.perMinute);
    bucket.refilledAt = now;
    return bucket.tokens;
  }
}
