import { splitIntoWindows } from './sync-window';

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
