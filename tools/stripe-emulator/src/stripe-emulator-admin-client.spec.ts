import { rawStripeCall } from './raw-stripe-call';
import { type RunningStripeEmulator, startStripeEmulator } from './stripe-emulator';
import { StripeEmulatorAdminClient, StripeEmulatorAdminError } from './stripe-emulator-admin-client';

const KEY = 'sk_test_admin_client';

describe('StripeEmulatorAdminClient', () => {
  let emulator: RunningStripeEmulator;
  let admin: StripeEmulatorAdminClient;

  beforeEach(async () => {
    emulator = await startStripeEmulator({ accounts: [{ apiKeys: [KEY], meters: [{ eventName: 'api_calls' }] }] });
    admin = new StripeEmulatorAdminClient(`${emulator.url}/`);
  });

  afterEach(async () => {
    await emulator.close();
  });

  async function sendEvent(identifier: string): Promise<number> {
    const response = await rawStripeCall(emulator.url, {
      path: '/v1/billing/meter_events',
      apiKey: KEY,
      form: { event_name: 'api_calls', 'payload[stripe_customer_id]': 'cus_A', 'payload[value]': '2', identifier },
    });
    return response.status;
  }

  it('reads events, totals and the request log of an emulator over HTTP', async () => {
    await sendEvent('e-1');
    await sendEvent('e-1');

    expect(await admin.health()).toBe(true);
    expect(await admin.meterEvents({ account: KEY })).toEqual([expect.objectContaining({ identifier: 'e-1', value: '2' })]);
    expect(await admin.totals(KEY)).toEqual([expect.objectContaining({ total: 2, eventCount: 1 })]);
    expect((await admin.requests({ pathPrefix: '/v1/billing' })).counts).toMatchObject({ accepted: 1, rejected: 1 });
  });

  it('injects and clears faults, adds accounts and meters, and resets', async () => {
    const fault = await admin.injectFault({ kind: 'status', status: 503, times: 1 });
    const faulted = await sendEvent('f-1');
    await admin.addAccount({ apiKeys: ['sk_test_added_by_admin'] });
    const meter = await admin.addMeter('sk_test_added_by_admin', { eventName: 'tokens' });
    await admin.setRateLimit(1);
    await admin.clearFaults();
    await admin.reset();

    expect(fault).toMatchObject({ kind: 'status', status: 503, remaining: 1 });
    expect(faulted).toBe(503);
    expect(meter).toMatchObject({ event_name: 'tokens' });
    expect((await admin.accounts()).map((account) => account.id)).toEqual(['acct_admin_client']);
    expect(await admin.faults()).toEqual([]);
  });

  it('moves the clock', async () => {
    const clock = await admin.advanceClock(5_000);

    expect(clock.offsetMs).toBe(5_000);
  });

  it('raises the admin error of a refused request', async () => {
    await expect(admin.addMeter('acct_nobody', { eventName: 'x' })).rejects.toBeInstanceOf(StripeEmulatorAdminError);
  });

  it('reports an emulator that is not there as unhealthy', async () => {
    await emulator.close();
    const gone = new StripeEmulatorAdminClient(emulator.url);
    emulator = await startStripeEmulator();

    expect(await gone.health()).toBe(false);
  });
});
