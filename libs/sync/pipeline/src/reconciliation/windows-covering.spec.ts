import { windowsCovering } from './reconciliation-service';

describe('windowsCovering', () => {
  it('widens a range to whole aligned windows', () => {
    const windows = windowsCovering(new Date('2026-11-30T10:20:00Z'), new Date('2026-11-30T12:05:00Z'), 60);

    expect(windows.map((window) => [window.start.toISOString(), window.end.toISOString()])).toEqual([
      ['2026-11-30T10:00:00.000Z', '2026-11-30T11:00:00.000Z'],
      ['2026-11-30T11:00:00.000Z', '2026-11-30T12:00:00.000Z'],
      ['2026-11-30T12:00:00.000Z', '2026-11-30T13:00:00.000Z'],
    ]);
  });

  it('uses the tenant window size', () => {
    expect(windowsCovering(new Date('2026-11-30T10:00:00Z'), new Date('2026-11-30T10:30:00Z'), 15)).toHaveLength(2);
  });

  it('refuses an empty, reversed or invalid range', () => {
    expect(() => windowsCovering(new Date('2026-11-30T10:00:00Z'), new Date('2026-11-30T10:00:00Z'), 60)).toThrow(RangeError);
    expect(() => windowsCovering(new Date('2026-11-30T11:00:00Z'), new Date('2026-11-30T10:00:00Z'), 60)).toThrow(RangeError);
    expect(() => windowsCovering(new Date('not a date'), new Date('2026-11-30T10:00:00Z'), 60)).toThrow(RangeError);
  });
});
