import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Coverage per synced window, so the schedule is driven by what was delivered rather than by which ticks ran:
 * - `aggregated_at`: when the latest aggregation of the whole window began; a window counts as delivered only if
 *   this is after it closed (usage measured while it was open may be incomplete),
 * - `last_synced_at`: when a run last finished pushing the window,
 * - `delivered_at`: when a run last found it fully delivered (no pending row, no failed row due for a retry);
 *   NULL while it is not,
 * - `window_minutes`: the window's size, to see a change of `aggregation_window_minutes` in the data.
 */
export class SyncWindowCoverage1765200000000 implements MigrationInterface {
  name = 'SyncWindowCoverage1765200000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE stripe_sync_windows
        ADD COLUMN aggregated_at timestamptz,
        ADD COLUMN last_synced_at timestamptz,
        ADD COLUMN delivered_at timestamptz,
        ADD COLUMN window_minutes integer GENERATED ALWAYS AS ((extract(epoch FROM window_end - window_start) / 60)::integer) STORED`);
    // Each aggregation bumped `updated_at` when it registered the window: the best record of when it was aggregated,
    // so windows synced before this migration are not all re-aggregated by the first coverage-driven tick.
    await db.query(`UPDATE stripe_sync_windows SET aggregated_at = updated_at, last_synced_at = updated_at`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE stripe_sync_windows
        DROP COLUMN IF EXISTS window_minutes,
        DROP COLUMN IF EXISTS delivered_at,
        DROP COLUMN IF EXISTS last_synced_at,
        DROP COLUMN IF EXISTS aggregated_at`);
  }
}
