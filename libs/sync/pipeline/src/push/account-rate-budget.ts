import type { DataSource } from 'typeorm';
import { RateBudgetStore } from '@flexsync/persistence';
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
 * The shared GCRA step (`RateBudgetStore.reserve`): reserves `count` consecutive slots of `1000 / ratePerSecond` ms
 * after the account's next free slot (or now, if the budget sat idle), atomically across every replica. The times are
 * the database's, so replicas' clocks need not agree.
 */
export function reserveAccountSlots(db: DataSource, budgetKey: string, ratePerSecond: number): (count: number) => Promise<ReservedSlots> {
  const intervalMs = 1000 / ratePerSecond;
  const budgets = new RateBudgetStore(db);
  return (count) => budgets.reserve(budgetKey, count, intervalMs);
}
