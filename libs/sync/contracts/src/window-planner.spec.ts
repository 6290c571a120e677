import type { SyncWindow } from './sync-window';
import { planWindows } from './window-planner';

const day = '2025-06-21';
const at = (time: string, date = day): string => new Date(`${date}T${time}:00.000Z`).toISOString();
const hours = (from: number, to: number, date = day): SyncWindow[] =>
  Array.from({ length: to - from }, (_, i) => ({
    start: at(`${String(from + i).padStart(2, '0')}:00`, date),
    end: new Date(Date.parse(at(`${String(from + i).padStart(2, '0')}:00`, date)) + 3_600_000).toISOString(),
  }));
const overlaps = (a: SyncWindow, b: SyncWindow): boolean => a.start < b.end && b.start < a.end;

function expectContiguous(windows: SyncWindow[]): void {
  for (let i = 1; i < windows.length; i += 1) expect(windows[i].start).toBe(windows[i - 1].end);
}

describe('planWindows', () => {
  it('tiles with the tenant’s size when nothing was synced', () => {
    expect(planWindows({ synced: [], windowMinutes: 60, from: at('04:20'), to: at('07:10') })).toEqual(hours(4, 7));
  });

  it('keeps hourly windows after a change from 60 to 1440 at 14:30 until the day boundary, then syncs days', () => {
    const synced = hours(0, 14);
    const planned = planWindows({ synced, windowMinutes: 1440, from: at('00:00'), to: at('00:00', '2025-06-23') });
    expect(planned.slice(0, 24)).toEqual(hours(0, 24));
    expect(planned.slice(24)).toEqual([{ start: at('00:00', '2025-06-22'), end: at('00:00', '2025-06-23') }]);
    expectContiguous(planned);
    for (const window of planned.slice(14)) for (const old of synced) expect(overlaps(window, old)).toBe(false);
  });

  it('leaves the hours of the changed day that have not closed yet for later, never a day window over synced hours', () => {
    const planned = planWindows({ synced: hours(0, 14), windowMinutes: 1440, from: at('00:00'), to: at('16:05') });
    expect(planned).toEqual(hours(0, 16));
  });

  it('switches from daily to hourly windows right after the last synced day', () => {
    const synced = [{ start: at('00:00', '2025-06-20'), end: at('00:00') }];
    const planned = planWindows({ synced, windowMinutes: 60, from: at('00:00', '2025-06-20'), to: at('03:00') });
    expect(planned).toEqual([...synced, ...hours(0, 3)]);
  });

  it('keeps a synced window that straddles the start of the range', () => {
    const synced = [{ start: at('00:00'), end: at('00:00', '2025-06-22') }];
    const planned = planWindows({ synced, windowMinutes: 60, from: at('10:30'), to: at('02:00', '2025-06-22') });
    expect(planned).toEqual([synced[0], ...hours(0, 2, '2025-06-22')]);
  });

  it('fills a gap that neither size fits with a filler up to the next boundary', () => {
    // 45-minute windows synced up to 01:30, then the size changes to 60: 01:30–02:00 fills the gap, hours follow.
    const synced = [
      { start: at('00:00'), end: at('00:45') },
      { start: at('00:45'), end: at('01:30') },
    ];
    const planned = planWindows({ synced, windowMinutes: 60, from: at('00:00'), to: at('04:00') });
    expect(planned).toEqual([...synced, { start: at('01:30'), end: at('02:00') }, ...hours(2, 4)]);
  });

  it('goes around a synced window of another size in the middle of the range', () => {
    const synced = [{ start: at('02:00'), end: at('02:15') }];
    const planned = planWindows({ synced, windowMinutes: 60, from: at('00:00'), to: at('04:00') });
    expectContiguous(planned);
    expect(planned[0]).toEqual({ start: at('00:00'), end: at('01:00') });
    expect(planned).toContainEqual(synced[0]);
    expect(planned[planned.length - 1].end).toBe(at('04:00'));
    for (const window of planned)
      if (window !== synced[0] && window.start !== synced[0].start) expect(overlaps(window, synced[0])).toBe(false);
  });

  it('drops windows that end at or before from, and rejects bad input', () => {
    expect(planWindows({ synced: hours(0, 3), windowMinutes: 60, from: at('02:00'), to: at('04:00') })).toEqual(hours(2, 4));
    expect(() => planWindows({ synced: [], windowMinutes: 0, from: at('00:00'), to: at('01:00') })).toThrow(RangeError);
    expect(() =>
      planWindows({ synced: [{ start: at('01:00'), end: at('01:00') }], windowMinutes: 60, from: at('00:00'), to: at('02:00') }),
    ).toThrow(RangeError);
  });
});
