import { pushIdentifier } from '../identity';
import { frozenHash, type FrozenMeterEvent, type PushRow } from './ledger-rows';
import { planPushPage, type PushPageContext } from './push-page-planner';

const HOUR_MS = 3_600_000;
const scope = { tenantId: 'tenant', environmentId: 'env' };
const windowStart = new Date(Date.UTC(2026, 11, 2, 10));
const window = { start: windowStart, end: new Date(windowStart.getTime() + HOUR_MS) };
const nowMs = windowStart.getTime() + 2 * HOUR_MS;
const key = { customerId: 'client_a', meterId: 'meter_api', eventType: 'increment' };

function context(overrides: Partial<PushPageContext> = {}): PushPageContext {
  return {
    scope,
    window,
    meters: new Map([['meter_api', { eventName: 'api_calls', precision: 0, syncEnabled: true }]]),
    customers: new Map([['client_a', 'cus_a2']]),
    remainders: new Map(),
    nowMs,
    timestampMarginSeconds: 3_600,
    dedupeHorizonMs: 24 * HOUR_MS,
    ...overrides,
  };
}

function unvalued(overrides: Partial<PushRow> = {}): PushRow {
  return {
    ...key,
    id: 'row-1',
    revision: 1,
    identifier: pushIdentifier({ ...scope, ...key, windowStart: window.start, windowEnd: window.end, revision: 1 }),
    payloadHash: 'unvalued',
    quantity: '7',
    eventCount: '3',
    status: 'pending',
    attemptCount: 0,
    errorMessage: null,
    firstSentAtMs: null,
    outcomeUncertain: false,
    failureCount: 0,
    incomplete: false,
    coveredQuantity: '5',
    held: [],
    lastRevision: 1,
    ...overrides,
  };
}

function frozen(overrides: Partial<PushRow> = {}): PushRow {
  const event: FrozenMeterEvent = {
    eventName: 'api_calls',
    stripeCustomerId: 'cus_a',
    value: '5',
    precision: 0,
    timestamp: Math.floor(window.start.getTime() / 1000),
  };
  const row = unvalued({ revision: 0, quantity: '5', coveredQuantity: '0', attemptCount: 1, ...overrides });
  return { ...row, frozen: event, payloadHash: frozenHash(row, event) };
}

describe('planning a page of pushes', () => {
  it('sends the delta to the current target when the series never moved', () => {
    const plan = planPushPage(
      [unvalued({ held: [{ eventName: 'api_calls', stripeCustomerId: 'cus_a2', value: '5', precision: 0 }] })],
      context(),
    );
    expect(plan.sends.map((send) => [send.event.stripeCustomerId, send.event.value])).toEqual([['cus_a2', '2']]);
    expect(plan.reversals).toEqual([]);
  });

  it('moves a remapped series: the old target gets the reversal of what it holds, the new one the full value', () => {
    const plan = planPushPage(
      [unvalued({ held: [{ eventName: 'api_calls', stripeCustomerId: 'cus_a', value: '5', precision: 0 }] })],
      context(),
    );

    expect(plan.sends.map((send) => [send.event.stripeCustomerId, send.event.value])).toEqual([['cus_a2', '7']]);
    expect(plan.reversals).toEqual([
      expect.objectContaining({
        revision: 2,
        identifier: pushIdentifier({ ...scope, ...key, windowStart: window.start, windowEnd: window.end, revision: 2 }),
        event: expect.objectContaining({ eventName: 'api_calls', stripeCustomerId: 'cus_a', value: '-5' }),
      }),
    ]);
    expect(plan.reversalSends.map((send) => send.identifier)).toEqual(plan.reversals.map((reversal) => reversal.identifier));
    expect(new Set([plan.sends[0]?.identifier, plan.reversals[0]?.identifier]).size).toBe(2);
  });

  it('moves a value computed at another precision in exact quantity terms', () => {
    const meters = new Map([['meter_api', { eventName: 'api_calls_v2', precision: 2, syncEnabled: true }]]);
    const held = [{ eventName: 'api_calls', stripeCustomerId: 'cus_a2', value: '5', precision: 0 }];
    const plan = planPushPage([unvalued({ quantity: '5.25', coveredQuantity: '5', held })], context({ meters }));

    expect(plan.sends.map((send) => [send.event.eventName, send.event.value])).toEqual([['api_calls_v2', '525']]);
    expect(plan.reversals.map((reversal) => [reversal.event.eventName, reversal.event.value, reversal.event.precision])).toEqual([
      ['api_calls', '-5', 0],
    ]);
  });

  it("fails rows with a missing mapping as re-checkable, and windows past Stripe's limit for good", () => {
    const missing = planPushPage([unvalued()], context({ customers: new Map() }));
    expect(missing.failures).toEqual([expect.objectContaining({ error: 'customer mapping not found', retry: true })]);

    const old = planPushPage([unvalued()], context({ nowMs: window.start.getTime() + 36 * 24 * HOUR_MS }));
    expect(old.failures).toEqual([expect.objectContaining({ error: expect.stringMatching(/^window too old/), retry: false })]);
  });

  it('re-sends a frozen push inside the dedupe horizon and marks an uncertain one past it unknown', () => {
    const firstSentAtMs = nowMs - 25 * HOUR_MS;
    const failedWith5xx = frozen({ errorMessage: 'stripe server error: …', outcomeUncertain: true, firstSentAtMs });
    expect(planPushPage([failedWith5xx], context()).unknown).toEqual([
      { id: 'row-1', error: expect.stringMatching(/^outcome unknown: .*24 h identifier dedupe/) },
    ]);

    const crashedAfterCall = frozen({ errorMessage: null, firstSentAtMs });
    expect(planPushPage([crashedAfterCall], context()).unknown).toHaveLength(1);

    const recent = planPushPage([frozen({ errorMessage: null, firstSentAtMs: nowMs - HOUR_MS })], context());
    expect(recent.unknown).toEqual([]);
    expect(recent.attempts).toEqual([{ id: 'row-1', uncertain: true }]);
    expect(recent.sends).toEqual([expect.objectContaining({ attempt: 2, uncertain: true })]);
  });

  it('keeps re-sending a push Stripe surely never took, however old its first send', () => {
    const limited = frozen({ errorMessage: 'rate limited: …', outcomeUncertain: false, firstSentAtMs: nowMs - 30 * HOUR_MS });
    const plan = planPushPage([limited], context());
    expect(plan.unknown).toEqual([]);
    expect(plan.sends).toHaveLength(1);
  });

  it('fails every row fast, re-checkably, when pushes are blocked', () => {
    const plan = planPushPage([unvalued(), frozen({ id: 'row-2' })], context({ blocked: 'auth error: circuit open' }));
    expect(plan.failures.map((failure) => [failure.id, failure.retry])).toEqual([
      ['row-1', true],
      ['row-2', true],
    ]);
    expect(plan.sends).toEqual([]);
  });
  it('fails a row whose Stripe meter a pre-push check found unusable, with the check\'s reason, and sends nothing', () => {
    const reason = "meter formula last is not sum: Stripe meter mtr_1 (event_name 'api_calls') aggregates with 'last'";
    const plan = planPushPage(
      [unvalued()],
      context({ meters: new Map([['meter_api', { eventName: 'api_calls', precision: 0, syncEnabled: true, unusable: reason }]]) }),
    );
    expect(plan.sends).toEqual([]);
    expect(plan.valued).toEqual([]);
    expect(plan.failures).toEqual([expect.objectContaining({ id: 'row-1', error: reason, retry: true })]);
  });

  it('does not re-send a frozen row whose event name now belongs to an inactive meter', () => {
    const reason = "meter inactive: Stripe meter mtr_1 (event_name 'api_calls') is inactive";
    const plan = planPushPage([frozen({ errorMessage: 'rate limited' })], context({ unusableEventNames: new Map([['api_calls', reason]]) }));
    expect(plan.sends).toEqual([]);
    expect(plan.attempts).toEqual([]);
    expect(plan.failures).toEqual([expect.objectContaining({ error: reason, retry: true })]);
  });
});
