import { Inject, Injectable } from '@nestjs/common';
import type { StripeEventLike } from '@flexsync/kafka';
import { WebhookEventStore, type TenantScope, type WebhookEventRecord } from '@flexsync/persistence';
import { WebhookMetrics } from './webhook.metrics';

interface Pending {
  record: WebhookEventRecord;
  resolve: (inserted: boolean) => void;
  reject: (error: unknown) => void;
}

/** Most events one INSERT carries. */
const MAX_BATCH = 200;
/** INSERTs in flight at once; deliveries arriving meanwhile wait for the next one and share it. */
const MAX_IN_FLIGHT = 2;

/**
 * Group commit for the inbox: concurrent deliveries are written by one INSERT (one round trip and one commit for all
 * of them) instead of one each; a lone delivery is written at once. Each caller's promise settles only after the
 * statement that carries its event committed, so a 2xx still means durable. A failed batch is retried one event at a
 * time, so one bad row fails only its own delivery.
 */
@Injectable()
export class InboxRecorder {
  private readonly pending: Pending[] = [];
  private inFlight = 0;

  constructor(
    @Inject(WebhookEventStore) private readonly inbox: WebhookEventStore,
    @Inject(WebhookMetrics) private readonly metrics: WebhookMetrics,
  ) {}

  /**
   * Resolves true when the event was new, false when it was already in the inbox; rejects when it was not recorded.
   * `payload` is the event's JSON text as received (stored as is, not serialised again).
   */
  record(scope: TenantScope, event: StripeEventLike, payload: string): Promise<boolean> {
    const record: WebhookEventRecord = {
      scope,
      stripeEventId: event.id,
      eventType: event.type,
      livemode: event.livemode ?? false,
      stripeCreated: event.created,
      payload,
    };
    return new Promise((resolve, reject) => {
      this.pending.push({ record, resolve, reject });
      this.flush();
    });
  }

  private flush(): void {
    while (this.inFlight < MAX_IN_FLIGHT && this.pending.length > 0) {
      const batch = this.pending.splice(0, MAX_BATCH);
      this.metrics.inboxBatchSize.observe(batch.length);
      this.inFlight += 1;
      void this.write(batch).finally(() => {
        this.inFlight -= 1;
        this.flush();
      });
    }
  }

  private async write(batch: Pending[]): Promise<void> {
    try {
      const inserted = await this.inbox.recordMany(batch.map((entry) => entry.record));
      batch.forEach((entry, index) => entry.resolve(inserted.has(index)));
    } catch (error) {
      if (batch.length === 1) {
        batch[0].reject(error);
        return;
      }
      for (const entry of batch) {
        await this.inbox.recordMany([entry.record]).then(
          (inserted) => entry.resolve(inserted.has(0)),
          (rowError: unknown) => entry.reject(rowError),
        );
      }
    }
  }
}
