import { MigrationInterface, QueryRunner } from 'typeorm';

/** Lets webhook-ingest find an event id recorded under another tenant (replay check) without a table scan. */
export class WebhookEventIdIndex1764700000000 implements MigrationInterface {
  name = 'WebhookEventIdIndex1764700000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE INDEX ix_stripe_webhook_events_event_id ON stripe_webhook_events (stripe_event_id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX IF EXISTS ix_stripe_webhook_events_event_id`);
  }
}
