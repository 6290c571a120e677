import { type CellInput, judgeCell, type LedgerDelivery, settleUnknown } from './reconciliation-cells';

const WINDOW = { start: new Date('2026-11-30T10:00:00Z'), end: new Date('2026-11-30T11:00:00Z') };
const LATER = WINDOW.end.getTime() + 3_600_000;

function row(overrides: Partial<LedgerDelivery> = {}): LedgerDelivery {
  return {
    id: 'row-1',
    customerId: 'client_a',
    meterId: 'meter_api',
    eventType: 'increment',
    windowStart: WINDOW.start,
    windowEnd: WINDOW.end,
    identifier: 'flexprice_1',
    status: 'completed',
    sentValue: 5n,
    target: { eventName: 'api_calls', stripeCustomerId: 'cus_a' },
    retryScheduled: false,
    lastSentAtMs: WINDOW.end.getTime() + 60_000,
    reidentified: false,
    ...overrides,
  };
}

function cell(overrides: Partial<CellInput> = {}): CellInput {
  return {
    customerId: 'client_a',
    meterId: 'meter_api',
    window: WINDOW,
    measured: [{ customerId: 'client_a', meterId: 'meter_api', eventType: 'increment', quantity: '5' }],
    rows: [row()],
    precision: 0,
    stripeValue: 5n,
    nowMs: LATER,
    ingestionLagMs: 300_000,
    ...overrides,
  };
}

describe('judgeCell', () => {
  it('matches when Stripe, the ledger and ClickHouse agree', () => {
    expect(judgeCell(cell())).toMatchObject({ status: 'match', difference: '0', unexplained: '0', stripeValue: '5' });
  });

  it('counts a push the v2 stream accepted and Stripe still validates as delivered, not as drift', () => {
    expect(judgeCell(cell({ rows: [row({ status: 'validating' })] }))).toMatchObject({ status: 'match', deliveredValue: '5', unexplained: '0' });
  });

  it('reports drift with the signed difference when Stripe counts more than was delivered', () => {
    expect(judgeCell(cell({ stripeValue: 12n }))).toMatchObject({ status: 'drift', difference: '7', unexplained: '7' });
  });

  it('reports drift when the ledger delivered less than ClickHouse measured', () => {
    const judged = judgeCell(cell({ measured: [{ customerId: 'client_a', meterId: 'meter_api', eventType: 'increment', quantity: '8' }] }));

    expect(judged).toMatchObject({ status: 'drift', difference: '-3', unexplained: '0' });
  });

  it('is pending inside the ingestion lag after the latest push, and before the window closed past it', () => {
    const justSent = judgeCell(cell({ rows: [row({ lastSentAtMs: LATER - 10_000 })], stripeValue: 0n }));
    const open = judgeCell(cell({ nowMs: WINDOW.end.getTime() + 1_000 }));

    expect(justSent).toMatchObject({ status: 'pending', stripeValue: null, reason: expect.stringMatching(/ingesting/) as unknown });
    expect(open).toMatchObject({ status: 'pending' });
  });

  it('is pending while a row is still to be sent or a failure will be retried', () => {
    expect(judgeCell(cell({ rows: [row({ status: 'pending' })] })).status).toBe('pending');
    expect(judgeCell(cell({ rows: [row({ status: 'failed', retryScheduled: true })] })).status).toBe('pending');
  });

  it('reports a permanently failed push as drift: the ledger explains it, ClickHouse still differs', () => {
    const judged = judgeCell(cell({ rows: [row({ status: 'failed' })], stripeValue: 0n }));

    expect(judged).toMatchObject({ status: 'drift', deliveredValue: '0', difference: '-5', unexplained: '0' });
  });

  it('reports unknown_outcome while unknown rows remain', () => {
    expect(judgeCell(cell({ rows: [row({ status: 'unknown', lastSentAtMs: 0 })], stripeValue: 5n })).status).toBe('unknown_outcome');
  });

  it('allows less than one unit per series with a fractional total (carried remainder), exactness otherwise', () => {
    const fractional = [{ customerId: 'client_a', meterId: 'meter_api', eventType: 'increment', quantity: '5.6' }];

    expect(judgeCell(cell({ measured: fractional })).status).toBe('match');
    expect(judgeCell(cell({ measured: fractional, rows: [row({ sentValue: 6n })], stripeValue: 6n })).status).toBe('match');
    expect(judgeCell(cell({ measured: fractional, rows: [row({ sentValue: 7n })], stripeValue: 7n })).status).toBe('drift');
  });

  it('scales ClickHouse quantities by the mapping precision', () => {
    const judged = judgeCell(
      cell({
        precision: 2,
        measured: [{ customerId: 'client_a', meterId: 'meter_api', eventType: 'increment', quantity: '1.25' }],
        rows: [row({ sentValue: 125n })],
        stripeValue: 125n,
      }),
    );

    expect(judged).toMatchObject({ status: 'match', measuredValue: '125' });
  });
});

describe('settleUnknown', () => {
  it('calls unknown rows counted when Stripe holds them on top of the completed ones', () => {
    expect(settleUnknown(11n, 5n, [6n])).toBe('counted');
  });

  it('calls them missing when Stripe holds exactly the completed ones', () => {
    expect(settleUnknown(5n, 5n, [6n])).toBe('missing');
  });

  it('leaves any other total undecided', () => {
    expect(settleUnknown(8n, 5n, [6n])).toBe('undecided');
    expect(settleUnknown(11n, 5n, [6n, 4n])).toBe('undecided');
  });
});
