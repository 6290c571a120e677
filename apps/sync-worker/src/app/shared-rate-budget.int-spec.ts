import { sharedBudgetBurst } from '@flexsync/stripe-client';
import { startStripeEmulator, type RunningStripeEmulator } from '@flexsync/stripe-emulator';
import { runReplica, testKeyring } from '@flexsync/sync-testing';
import { stackEnv, uniqueTenant, type TestTenant } from '@flexsync/testing';
import { HOUR_MS, hourAgo, SyncHarness, testApiKey } from '../testing/sync-harness';

const LIMIT = 20;
/** The shared limiter's burst (a quarter second's worth), half early and half late. */
const BURST = sharedBudgetBurst(LIMIT);
const CUSTOMERS = 40;
const HOURS = 3;

/** Most calls the emulator saw in any one-second span. */
function busiestSecond(arrivals: readonly number[]): number {
  const sorted = [...arrivals].sort((a, b) => a - b);
  let busiest = 0;
  let from = 0;
  for (let to = 0; to < sorted.length; to += 1) {
    while (sorted[to] - sorted[from] >= 1000) from += 1;
    busiest = Math.max(busiest, to - from + 1);
  }
  return busiest;
}

describe('one Stripe account pushed by two worker processes', () => {
  let emulator: RunningStripeEmulator;
  let harness: SyncHarness;
  const keyring = testKeyring();

  beforeAll(async () => {
    emulator = await startStripeEmulator({ accounts: [], rateLimitPerSecond: LIMIT });
    harness = await SyncHarness.start(stackEnv(), emulator.url, keyring);
  });
  afterAll(async () => {
    await harness.close();
    await emulator.close();
  });

  it('keeps both replicas together within the account limit plus one burst, one call per customer+meter at a time, totals exact', async () => {
    const apiKey = testApiKey('replicas');
    const account = emulator.addAccount({ apiKeys: [apiKey], meters: [{ eventName: 'api_calls' }] });
    // Calls take a while, so two replicas pushing one customer+meter at once would overlap (Stripe answers 409).
    emulator.injectFault({ kind: 'latency', latencyMs: 60, account: apiKey, pathPrefix: '/v1/billing/meter_events' });
    const first = hourAgo(HOURS + 1);
    const tenants: TestTenant[] = [uniqueTenant('replica_a'), uniqueTenant('replica_b')];
    const expected = new Map<string, bigint>();
    for (const [t, tenant] of tenants.entries()) {
      // Two tenants on one Stripe account, with the same Stripe customers.
      // The connection test stored the account id for both configs.
      await harness.seedTenant(tenant, {
        apiKey,
        stripeAccountId: account.id,
        meters: [{ meterId: 'meter_api', eventName: 'api_calls' }],
        customers: Array.from({ length: CUSTOMERS }, (_, c) => ({ customerId: `client_${c}`, stripeCustomerId: `cus_${c}` })),
      });
      const usage = [];
      for (let hour = 0; hour < HOURS; hour += 1) {
        for (let c = 0; c < CUSTOMERS; c += 1) {
          const quantity = BigInt(1 + c + hour * 3 + t * 7);
          usage.push({
            customerId: `client_${c}`,
            meterId: 'meter_api',
            quantity: String(quantity),
            at: new Date(first.getTime() + hour * HOUR_MS),
          });
          expected.set(`cus_${c}`, (expected.get(`cus_${c}`) ?? 0n) + quantity);
        }
      }
      await harness.insertUsage(tenant, usage);
    }

    const reports = await Promise.all(
      tenants.map((tenant) =>
        runReplica({
          emulatorUrl: emulator.url,
          keyring,
          ...tenant,
          timeFrom: first.toISOString(),
          timeTo: new Date(first.getTime() + HOURS * HOUR_MS).toISOString(),
          writesPerSecond: LIMIT,
          concurrency: 16,
          pageSize: 1_000,
        }),
      ),
    );

    // The replicas pushed at the same time.
    expect(reports[0].pushStartedMs).toBeLessThan(reports[1].pushEndedMs);
    expect(reports[1].pushStartedMs).toBeLessThan(reports[0].pushEndedMs);
    const calls = emulator.requests({ account: apiKey, pathPrefix: '/v1/billing/meter_events' });
    expect(calls).toHaveLength(2 * HOURS * CUSTOMERS);
    expect(calls.filter((call) => call.status !== 200).map((call) => call.status)).toEqual([]);
    expect(busiestSecond(calls.map((call) => call.at))).toBeLessThanOrEqual(LIMIT + BURST);
    expect(Object.fromEntries(emulator.totals(apiKey).map((total) => [total.customer, total.totalExact]))).toEqual(
      Object.fromEntries([...expected].map(([customer, total]) => [customer, total.toString()])),
    );
    for (const tenant of tenants) {
      const statuses = (await harness.ledger(tenant)).map((row) => row.syncStatus);
      expect(statuses).toEqual(Array.from({ length: HOURS * CUSTOMERS }, () => 'completed'));
    }
    // Two worker processes start, bundle their workflows and push 240 calls at 20/s: more than the default timeout.
  }, 300_000);
});
