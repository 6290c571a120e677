import { closedWindowRange, splitIntoWindows } from './sync-window';

describe('splitIntoWindows', () => {
  it('rounds the range out to aligned half-open windows', () => {
    expect(splitIntoWindows('2025-06-21T04:20:00Z', '2025-06-21T05:10:00Z', 60)).toEqual([
      { start: '2025-06-21T04:00:00.000Z', end: '2025-06-21T05:00:00.000Z' },
      { start: '2025-06-21T05:00:00.000Z', end: '2025-06-21T06:00:00.000Z' },
    ]);
  });

  it('rejects empty or reversed ranges and non-positive window sizes', () => {
    expect(() => splitIntoWindows('2025-06-21T05:00:00Z', '2025-06-21T05:00:00Z', 60)).toThrow(RangeError);
    expect(() => splitIntoWindows('2025-06-21T04:00:00Z', '2025-06-21T05:00:00Z', 0)).toThrow(RangeError);
    expect(() => splitIntoWindows('nope', '2025-06-21T05:00:00Z', 60)).toThrow(RangeError);
  });
});

describe('closedWindowRange (what a schedule tick syncs)', () => {
  it('syncs the hour that just closed and the one before at the grace minute', () => {
    expect(closedWindowRange('2025-06-21T10:05:00Z', 2, 60)).toEqual({
      timeFrom: '2025-06-21T08:00:00.000Z',
      timeTo: '2025-06-21T10:00:00.000Z',
    });
  });

  it('covers every quarter-hour window of the looked-back hours', () => {
    expect(closedWindowRange('2025-06-21T10:05:00Z', 1, 15)).toEqual({
      timeFrom: '2025-06-21T09:00:00.000Z',
      timeTo: '2025-06-21T10:00:00.000Z',
    });
  });

  it('pushes a daily window only once the day has closed', () => {
    expect(closedWindowRange('2025-06-21T10:05:00Z', 2, 1440)).toBeUndefined();
    expect(closedWindowRange('2025-06-22T00:05:00Z', 2, 1440)).toEqual({
      timeFrom: '2025-06-21T00:00:00.000Z',
      timeTo: '2025-06-22T00:00:00.000Z',
    });
  });

  it('serves a late (catch-up) tick by its scheduled time, not by when it ran', () => {
    expect(closedWindowRange('2025-06-21T03:05:00Z', 1, 60)).toEqual({
      timeFrom: '2025-06-21T02:00:00.000Z',
      timeTo: '2025-06-21T03:00:00.000Z',
    });
  });
});
