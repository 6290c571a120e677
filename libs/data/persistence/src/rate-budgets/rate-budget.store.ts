import type { DataSource } from 'typeorm';

/** Slots reserved in an account's budget: the first one's time and the database's clock when they were taken. */
export interface ReservedBudgetSlots {
  firstSlotMs: number;
  nowMs: number;
}

/**
 * `stripe_rate_budgets` (entity `StripeRateBudget`): the shared GCRA step every worker replica takes before calling
 * Stripe. Raw SQL, because the step is one atomic statement the repository API cannot say: an `INSERT … ON CONFLICT
 * … DO UPDATE` that moves the account's next free slot past `GREATEST(next slot, now)` and returns where the
 * reservation starts, timed by the database's `clock_timestamp()` so replicas' clocks need not agree.
 */
export class RateBudgetStore {
  constructor(private readonly db: DataSource) {}

  /**
   * Reserves `count` consecutive slots of `intervalMs` after the account's next free slot (or now, if the budget sat
   * idle), atomically across every replica.
   */
  async reserve(budgetKey: string, count: number, intervalMs: number): Promise<ReservedBudgetSlots> {
    const rows: { first_slot_ms: number; now_ms: number }[] = await this.db.query(
      `WITH clock AS (SELECT extract(epoch FROM clock_timestamp()) * 1000 AS now_ms)
       INSERT INTO stripe_rate_budgets AS b (budget_key, next_slot_ms)
       SELECT $1, clock.now_ms + $2::double precision FROM clock
       ON CONFLICT (budget_key) DO UPDATE
          SET next_slot_ms = GREATEST(b.next_slot_ms, (SELECT now_ms FROM clock)) + $2::double precision, updated_at = now()
       RETURNING b.next_slot_ms - $2::double precision AS first_slot_ms, (SELECT now_ms FROM clock) AS now_ms`,
      [budgetKey, count * intervalMs],
    );
    return { firstSlotMs: Number(rows[0].first_slot_ms), nowMs: Number(rows[0].now_ms) };
  }
}
