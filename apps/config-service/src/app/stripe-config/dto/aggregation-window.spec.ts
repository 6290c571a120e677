import { ALLOWED_WINDOW_MINUTES, tilesHourOrDay } from './aggregation-window';

describe('tilesHourOrDay', () => {
  it.each([1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60, 120, 180, 240, 360, 480, 720, 1440])('accepts %i minutes', (minutes) => {
    expect(tilesHourOrDay(minutes)).toBe(true);
  });

  it.each([0, -60, 7, 25, 45, 90, 100, 300, 600, 900, 1000, 2880, 1.5, Number.NaN])('rejects %p minutes', (minutes) => {
    expect(tilesHourOrDay(minutes)).toBe(false);
  });

  it('lists exactly the windows that align to the hour or the day', () => {
    expect(ALLOWED_WINDOW_MINUTES).toEqual([1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60, 120, 180, 240, 360, 480, 720, 1440]);
  });
});
