import { decimalToScaled } from '../decimal';
import { planSeries, SeriesLedgerRow } from './series-reconciliation';

const q = (value: string) => decimalToScaled(value);
const row = (id: string, revision: number, quantity: string, valued: boolean, status: SeriesLedgerRow['status']): SeriesLedgerRow => ({
  id,
  revision,
  quantity: q(quantity),
  valued,
  status,
});

describe('reconciling a window total with the ledger', () => {
  it('arms revision 0 for a series the ledger has never seen', () => {
    expect(planSeries(q('42'), [])).toEqual({ insertRevision: 0, rearmIds: [], resumedIds: [], outcome: 'new' });
  });

  it('sends nothing when the pushed revisions already cover the total', () => {
    expect(planSeries(q('42'), [row('r0', 0, '42', true, 'completed')])).toEqual({ rearmIds: [], resumedIds: [], outcome: 'unchanged' });
  });

  it('arms a correction at the next revision for late usage, up or down', () => {
    const pushed = [row('r0', 0, '10', true, 'completed'), row('r1', 1, '14', true, 'completed')];
    expect(planSeries(q('20'), pushed)).toMatchObject({ insertRevision: 2, outcome: 'correction' });
    expect(planSeries(q('8'), pushed)).toMatchObject({ insertRevision: 2, outcome: 'correction' });
    expect(planSeries(0n, pushed)).toMatchObject({ insertRevision: 2, outcome: 'correction' });
  });

  it('updates the one unvalued row in place instead of stacking revisions, and withdraws it when no longer needed', () => {
    const rows = [row('r0', 0, '10', true, 'completed'), row('r1', 1, '12', false, 'failed')];
    expect(planSeries(q('15'), rows)).toMatchObject({ refreshId: 'r1', outcome: 'correction' });
    expect(planSeries(q('10'), rows)).toMatchObject({ withdrawId: 'r1', outcome: 'unchanged' });
    expect(planSeries(q('3'), [row('r0', 0, '2', false, 'pending')])).toMatchObject({ refreshId: 'r0', outcome: 'new' });
  });

  it('re-arms failed pushes with their frozen payload and reports pending ones as resumed', () => {
    const rows = [row('r0', 0, '10', true, 'failed'), row('r1', 1, '14', true, 'pending')];
    expect(planSeries(q('14'), rows)).toEqual({ rearmIds: ['r0'], resumedIds: ['r1'], outcome: 'unchanged' });
    expect(planSeries(q('16'), rows)).toMatchObject({ rearmIds: ['r0'], insertRevision: 2, outcome: 'correction' });
  });

  it('moves a series whose target changed even when its total did not, and only while another target still holds a value', () => {
    const sent = (eventName: string, stripeCustomerId: string, value: bigint) => ({ eventName, stripeCustomerId, value });
    const atOld = [{ ...row('r0', 0, '5', true, 'completed'), sent: sent('api_calls', 'cus_a', 5n) }];
    const moved = { eventName: 'api_calls', stripeCustomerId: 'cus_a2' };
    expect(planSeries(q('5'), atOld, moved)).toMatchObject({ insertRevision: 1, outcome: 'correction' });
    expect(planSeries(q('5'), atOld, { eventName: 'api_calls', stripeCustomerId: 'cus_a' })).toMatchObject({ outcome: 'unchanged' });

    const afterMove = [
      ...atOld,
      { ...row('r1', 1, '5', true, 'completed'), sent: sent('api_calls', 'cus_a2', 5n) },
      { ...row('r2', 2, '5', true, 'completed'), sent: sent('api_calls', 'cus_a', -5n) },
    ];
    expect(planSeries(q('5'), afterMove, moved)).toMatchObject({ outcome: 'unchanged' });
  });

  it('leaves unknown pushes alone: neither re-armed nor resumed', () => {
    expect(planSeries(q('5'), [row('r0', 0, '5', true, 'unknown')])).toEqual({ rearmIds: [], resumedIds: [], outcome: 'unchanged' });
  });
});
