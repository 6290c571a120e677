import { renderProgress } from './progress-bar';

describe('renderProgress', () => {
  const base = { workflow_id: 'w', run_id: 'r', status: 'RUNNING', batches: { pending: 3, completed: 120, failed: 1, unknown: 0 } };

  it('fills the bar in proportion to the windows reached and shows the ledger counts', () => {
    expect(renderProgress({ ...base, windows_total: 24, windows_reached: 12 })).toBe(
      `[${'#'.repeat(15)}${'-'.repeat(15)}] 12/24 windows · 120 completed · 1 failed · 3 pending · 0 unknown · RUNNING`,
    );
  });

  it('never overflows, and draws an empty bar before the first window', () => {
    expect(renderProgress({ ...base, windows_total: 2, windows_reached: 5 })).toContain(`[${'#'.repeat(30)}]`);
    expect(renderProgress({ ...base, windows_total: 0, windows_reached: 0 })).toContain(`[${'-'.repeat(30)}] 0/0`);
  });
});
