import pino from 'pino';
import { Registry } from 'prom-client';
import { type BillingMeter, StripeAccountClient, StripeCallError } from '@flexsync/stripe-client';
import type { MeterMappingView } from '../ledger/mappings';
import { applyMeterChecks, PushMeterChecks } from './meter-checks';

const scope = { tenantId: 'tenant', environmentId: 'env' };
const log = pino({ level: 'silent' });

function meter(overrides: Partial<BillingMeter>): BillingMeter {
  return {
    id: 'mtr_storage',
    eventName: 'meter.storage',
    displayName: 'Storage',
    status: 'active',
    aggregationFormula: 'sum',
    customerPayloadKey: 'stripe_customer_id',
    valuePayloadKey: 'value',
    eventTimeWindow: null,
    created: 1,
    ...overrides,
  };
}

/** A client whose meter listing answers from a list (or fails), counting the calls. */
function stubClient(list: () => BillingMeter[]): { client: StripeAccountClient; calls: () => number } {
  const client = new StripeAccountClient({ apiKey: 'sk_test_stub', baseUrl: 'http://127.0.0.1:9' });
  let calls = 0;
  jest.spyOn(client, 'listMeters').mockImplementation(() => {
    calls += 1;
    try {
      return Promise.resolve(list());
    } catch (error) {
      return Promise.reject(error as Error);
    }
  });
  return { client, calls: () => calls };
}

function mappings(entries: Record<string, string>): Map<string, MeterMappingView> {
  return new Map(Object.entries(entries).map(([meterId, eventName]) => [meterId, { eventName, precision: 0, syncEnabled: true }]));
}

describe('PushMeterChecks', () => {
  it('lists the meters once per run and tenant, however many pages ask', async () => {
    const registry = new Registry();
    const checks = new PushMeterChecks(registry);
    const { client, calls } = stubClient(() => [meter({})]);
    const run = { workflowId: 'wf', runId: 'run-1' };
    for (let page = 0; page < 3; page += 1) await checks.check(scope, run, client, mappings({ meter_storage: 'meter.storage' }), log);
    expect(calls()).toBe(1);
    await checks.check(scope, { workflowId: 'wf', runId: 'run-2' }, client, mappings({ meter_storage: 'meter.storage' }), log);
    expect(calls()).toBe(2);
    expect(await registry.getSingleMetricAsString('stripe_sync_meter_checks_total')).toContain('result="usable"} 2');
  });

  it('resolves a mapping that names the meter by id to the meter event_name, and marks the unusable ones', async () => {
    const { client } = stubClient(() => [
      meter({}),
      meter({ id: 'mtr_cpu', eventName: 'meter.cpu', status: 'inactive' }),
      meter({ id: 'mtr_seats', eventName: 'meter.seats', aggregationFormula: 'last' }),
    ]);
    const current = mappings({ storage: 'mtr_storage', cpu: 'meter.cpu', seats: 'meter.seats', gone: 'meter.gone' });
    const verdicts = await new PushMeterChecks(new Registry()).check(scope, { workflowId: null, runId: null }, client, current, log);
    const checked = applyMeterChecks(current, verdicts);

    expect(checked.meters.get('storage')).toEqual({ eventName: 'meter.storage', precision: 0, syncEnabled: true });
    expect(checked.meters.get('cpu')?.unusable).toBe("meter inactive: Stripe meter mtr_cpu (event_name 'meter.cpu') is inactive");
    expect(checked.meters.get('seats')?.unusable).toMatch(/^meter formula last is not sum: Stripe meter mtr_seats/);
    expect(checked.meters.get('gone')?.unusable).toBe("meter not found: no Stripe meter has id or event_name 'meter.gone'");
    expect([...checked.unusableEventNames.keys()].sort()).toEqual(['meter.cpu', 'meter.gone', 'meter.seats']);
  });

  it('leaves a refused key to the push, which classifies it and opens the circuit', async () => {
    const { client } = stubClient(() => {
      throw new StripeCallError({ kind: 'auth', detail: 'Invalid API Key provided' });
    });
    const verdicts = await new PushMeterChecks(new Registry()).check(scope, { workflowId: null, runId: null }, client, mappings({ m: 'x' }), log);
    expect(verdicts).toBeUndefined();
  });

  it('fails every meter with the cause when the listing fails otherwise, and does not keep that verdict', async () => {
    let fail = true;
    const { client, calls } = stubClient(() => {
      if (fail) throw new StripeCallError({ kind: 'server', detail: 'boom', statusCode: 500 });
      return [meter({})];
    });
    const checks = new PushMeterChecks(new Registry());
    const run = { workflowId: 'wf', runId: 'run' };
    const first = applyMeterChecks(mappings({ m: 'meter.storage' }), await checks.check(scope, run, client, mappings({ m: 'meter.storage' }), log));
    expect(first.meters.get('m')?.unusable).toMatch(/^meter check failed: stripe server error/);
    fail = false;
    const second = applyMeterChecks(mappings({ m: 'meter.storage' }), await checks.check(scope, run, client, mappings({ m: 'meter.storage' }), log));
    expect(second.meters.get('m')?.unusable).toBeUndefined();
    expect(calls()).toBe(2);
  });
});
