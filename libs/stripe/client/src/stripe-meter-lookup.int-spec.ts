import { type RunningStripeEmulator, startStripeEmulator } from '@flexsync/stripe-emulator';
import { StripeAccountClient } from './stripe-account-client';
import { checkStripeMeters } from './stripe-meter-lookup';

/**
 * Contract of the meter lookup the mapping check and the pre-push check make (one `GET /v1/billing/meters` listing,
 * every status): stripe-mock (Stripe's spec, fixed fixtures) and the emulator both accept it, and a meter resolves by
 * id and by event_name on both.
 */
const STRIPE_MOCK_URL = process.env['STRIPE_MOCK_URL'] ?? 'http://127.0.0.1:12111';
const STRIPE_MOCK_KEY = 'sk_test_123';
const EMULATOR_KEY = 'sk_test_meterlookup';

describe('Stripe meter lookup contract: stripe-mock and the emulator', () => {
  let emulator: RunningStripeEmulator;

  beforeAll(async () => {
    emulator = await startStripeEmulator({
      accounts: [{ apiKeys: [EMULATOR_KEY], meters: [{ id: 'mtr_lookup', eventName: 'api_calls' }, { eventName: 'seats', formula: 'last' }] }],
    });
  });

  afterAll(async () => {
    await emulator.close();
  });

  it('resolves stripe-mock’s fixture meter by id and by event_name as a usable sum meter', async () => {
    const client = new StripeAccountClient({ apiKey: STRIPE_MOCK_KEY, baseUrl: STRIPE_MOCK_URL });
    const [fixture] = await client.listMeters();
    expect(fixture).toMatchObject({ status: 'active', aggregationFormula: 'sum' });

    const checks = await checkStripeMeters(client, [fixture?.id ?? '', fixture?.eventName ?? '', 'no.such.meter']);
    expect(checks.get(fixture?.id ?? '')).toMatchObject({ usable: true, meter: { id: fixture?.id } });
    expect(checks.get(fixture?.eventName ?? '')).toMatchObject({ usable: true, meter: { id: fixture?.id } });
    expect(checks.get('no.such.meter')).toMatchObject({ usable: false, reason: expect.stringMatching(/^meter not found/) });
  });

  it('gives the same verdicts against the emulator, whose meters a test chooses', async () => {
    const client = new StripeAccountClient({ apiKey: EMULATOR_KEY, baseUrl: emulator.url });
    const checks = await checkStripeMeters(client, ['mtr_lookup', 'api_calls', 'seats']);
    expect(checks.get('mtr_lookup')).toMatchObject({ usable: true, meter: { eventName: 'api_calls' } });
    expect(checks.get('api_calls')).toMatchObject({ usable: true, meter: { id: 'mtr_lookup' } });
    expect(checks.get('seats')).toMatchObject({ usable: false, reason: expect.stringMatching(/^meter formula last is not sum/) });
    expect(emulator.requests({ account: EMULATOR_KEY, pathPrefix: '/v1/billing/meters' })).toHaveLength(1);
  });
});
