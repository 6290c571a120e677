import type { DataSource } from 'typeorm';
import type { ReservedSlots } from '@flexsync/stripe-client';

/** Which of an account's budgets: v1 meter event writes, or v2 meter event stream requests (limited apart by Stripe). */
export type BudgetKind = 'v1' | 'stream';

/**
 * The key of one Stripe account's budget: the account id the connection test learned (`acct_…`), its mode (Stripe
 * limits live and test mode apart) and the kind of call. No tenant and no key material: every tenant+environment
 * using the account shares it.
 */
export function rateBudgetKey(stripeAccountId: string, livemode: boolean, kind: BudgetKind): string {
  return `${stripeAccountId}|${livemode ? 'live' : 'test'}|${kind}`;
}

/**
 * The shared GCRA step in `stripe_rate_budgets`: reserves `count` consecutive slots of `1000 / ratePerSecond` ms
 * after the account's next free slot (or now, if the budget sat idle), atomically across every replica. The times are
 * the database's, so replicas' clocks need not agree.
 */
export function reserveAccountSlots(db: DataSource, budgetKey: string, ratePerSecond: number): (count: number) => Promise<ReservedSlots> {
  const intervalMs = 1000 / ratePerSecond;
  return async (count) => {
    const rows: { first_slot_ms: number; now_ms: number }[] = await db.query(
      `WITH clock AS (SELECT extract(epoch FROM clock_timestamp()) * 1000 AS now_ms)
       INSERT INTO stripe_rate_budgets AS b (budget_key, next_slot_ms)
       SELECT $1, clock.now_ms + $2::double precision FROM clock
       ON CONFLICT (budget_key) DO UPDATE
          SET next_slot_ms = GREATEST(b.next_slot_ms, (SELECT now_ms FROM clock)) + $2::double precision, updated_at = now()
       RETURNING b.next_slot_ms - $2::double precision AS first_slot_ms, (SELECT now_ms FROM clock) AS now_ms`,
      [budgetKey, count * intervalMs],
    );
    return { firstSlotMs: Number(rows[0].first_slot_ms), nowMs: Number(rows[0].now_ms) };
  };
}
