import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for the ledger's reads, so they cost what they answer about rather than what the ledger has ever held
 * (a tenant pushing a million aggregates an hour adds a million rows an hour):
 * - `undelivered`: the orchestrator's cross-tenant gauges (backlog by status, stalest tenants, unknown outcomes), read
 *   on every scrape. Without it each read scanned the table: 0.6 s at 3.4M rows, and a 1 s scrape timed out.
 * - `recent`: a tenant's history page, newest first (`GET /v1/stripe/sync/batches`): 0.5 s at a million rows.
 * - `workflow`: a manual run's progress, by the workflow that armed the rows: 0.5 s at a million.
 *
 * Not indexed: `updated_at` for the status counts. With an index on it the push fell to 0.86–0.89 × Stripe's rate
 * (0.91–0.96 without it; 100,000 aggregates), and the status reads the rows of its last day anyway.
 *
 * Built CONCURRENTLY (outside a transaction) so a large ledger keeps taking writes while they build. A build that
 * failed half-way leaves an invalid index and no migration record; the drop lets the next run build it again.
 */
const INDEXES: Record<string, string> = {
  ix_stripe_sync_batches_undelivered: `(sync_status, tenant_id, environment_id, window_end) WHERE sync_status <> 'completed'`,
  ix_stripe_sync_batches_recent: `(tenant_id, environment_id, created_at DESC, id DESC)`,
  ix_stripe_sync_batches_workflow: `(tenant_id, environment_id, workflow_id) WHERE workflow_id IS NOT NULL`,
};

export class LedgerReadIndexes1766800000000 implements MigrationInterface {
  name = 'LedgerReadIndexes1766800000000';
  transaction = false;

  async up(db: QueryRunner): Promise<void> {
    for (const [name, definition] of Object.entries(INDEXES)) {
      await db.query(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
      await db.query(`CREATE INDEX CONCURRENTLY ${name} ON stripe_sync_batches ${definition}`);
    }
  }

  // TypeORM reverts inside a transaction whatever `transaction` says, so the drop here is a plain (brief) one.
  async down(db: QueryRunner): Promise<void> {
    for (const name of Object.keys(INDEXES)) await db.query(`DROP INDEX IF EXISTS ${name}`);
  }
}
