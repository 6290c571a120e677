import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { stackEnv } from '@flexsync/testing';
import { dataSourceOptions } from '../data-source';
import { StripeRateBudget } from './stripe-rate-budget.entity';
import { RateBudgetStore } from './rate-budget.store';

describe('RateBudgetStore (real Postgres)', () => {
  const replicas: DataSource[] = [];

  beforeAll(async () => {
    for (let n = 0; n < 2; n++) replicas.push(await new DataSource(dataSourceOptions(stackEnv().DATABASE_URL)).initialize());
  });

  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.destroy()));
  });

  it('hands two replicas reserving at once consecutive, non-overlapping slots of one account’s budget', async () => {
    const key = `acct_${randomUUID().slice(0, 8)}|test|v1`;
    const [first, second] = replicas.map((replica) => new RateBudgetStore(replica));
    const reservations = await Promise.all(Array.from({ length: 20 }, (_, n) => (n % 2 === 0 ? first : second).reserve(key, 3, 10)));

    const starts = reservations.map((slots) => slots.firstSlotMs).sort((a, b) => a - b);
    for (let n = 1; n < starts.length; n++) expect(starts[n] - starts[n - 1]).toBeCloseTo(30, 6);
    // The first reservation on an idle budget starts at the database's clock, not in the past or the future.
    const earliest = reservations.find((slots) => slots.firstSlotMs === starts[0]);
    expect(earliest?.firstSlotMs).toBeCloseTo(earliest?.nowMs ?? 0, 0);

    const stored = await replicas[0].getRepository(StripeRateBudget).findOneByOrFail({ budgetKey: key });
    expect(stored.nextSlotMs).toBeCloseTo(starts[0] + 20 * 30, 6);
  });

  it('does not carry an idle budget’s old slots forward: the next call starts now', async () => {
    const key = `acct_${randomUUID().slice(0, 8)}|live|stream`;
    const store = new RateBudgetStore(replicas[0]);
    await store.reserve(key, 1, 5);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const later = await store.reserve(key, 1, 5);
    expect(later.firstSlotMs).toBeGreaterThanOrEqual(later.nowMs - 1);
    expect(later.firstSlotMs - later.nowMs).toBeLessThan(5);
  });
});
