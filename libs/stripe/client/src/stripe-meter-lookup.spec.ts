import type { BillingMeter } from './stripe-account-client';
import { checkStripeMeter, isStripeMeterId, resolveStripeMeter } from './stripe-meter-lookup';

function meter(overrides: Partial<BillingMeter>): BillingMeter {
  return {
    id: 'mtr_1',
    eventName: 'meter.storage',
    displayName: 'Storage',
    status: 'active',
    aggregationFormula: 'sum',
    customerPayloadKey: 'stripe_customer_id',
    valuePayloadKey: 'value',
    eventTimeWindow: null,
    created: 1_700_000_000,
    ...overrides,
  };
}

describe('Stripe meter lookup', () => {
  it('tells meter ids from event names', () => {
    expect(isStripeMeterId('mtr_61Q8abc')).toBe(true);
    expect(isStripeMeterId('meter.storage')).toBe(false);
    expect(isStripeMeterId('mtr_')).toBe(false);
  });

  it('resolves a reference by meter id and by event_name', () => {
    const meters = [meter({ id: 'mtr_a', eventName: 'api_calls' }), meter({ id: 'mtr_b', eventName: 'meter.storage' })];
    expect(resolveStripeMeter(meters, 'mtr_b')?.eventName).toBe('meter.storage');
    expect(resolveStripeMeter(meters, 'api_calls')?.id).toBe('mtr_a');
    expect(resolveStripeMeter(meters, 'unknown')).toBeUndefined();
  });

  it('prefers the active meter when deactivated meters share its event_name', () => {
    const meters = [
      meter({ id: 'mtr_old', status: 'inactive', created: 3 }),
      meter({ id: 'mtr_live', status: 'active', created: 1 }),
      meter({ id: 'mtr_older', status: 'inactive', created: 2 }),
    ];
    expect(resolveStripeMeter(meters, 'meter.storage')?.id).toBe('mtr_live');
    expect(resolveStripeMeter(meters.filter((m) => m.status === 'inactive'), 'meter.storage')?.id).toBe('mtr_old');
  });

  it('accepts an active sum meter', () => {
    expect(checkStripeMeter([meter({})], 'meter.storage')).toMatchObject({ usable: true, meter: { id: 'mtr_1' } });
  });

  it('refuses a missing meter, naming what was looked for', () => {
    expect(checkStripeMeter([meter({})], 'meter.cpu')).toEqual({
      usable: false,
      reason: "meter not found: no Stripe meter has id or event_name 'meter.cpu'",
    });
    expect(checkStripeMeter([meter({})], 'mtr_gone')).toMatchObject({ reason: "meter not found: no Stripe meter has id 'mtr_gone'" });
  });

  it('refuses an inactive meter, naming it', () => {
    const check = checkStripeMeter([meter({ status: 'inactive' })], 'mtr_1');
    expect(check.usable).toBe(false);
    expect(!check.usable && check.reason).toBe("meter inactive: Stripe meter mtr_1 (event_name 'meter.storage') is inactive");
  });

  it.each(['last', 'count'])('refuses a meter aggregating with %s, naming the meter and its formula', (formula) => {
    const check = checkStripeMeter([meter({ aggregationFormula: formula })], 'meter.storage');
    expect(check.usable).toBe(false);
    expect(!check.usable && check.reason).toMatch(
      new RegExp(`^meter formula ${formula} is not sum: Stripe meter mtr_1 \\(event_name 'meter.storage'\\) aggregates with '${formula}'`),
    );
  });
});
