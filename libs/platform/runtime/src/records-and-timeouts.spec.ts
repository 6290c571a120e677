import { isRecord } from './records';
import { withTimeout } from './timeouts';

describe('isRecord', () => {
  it('accepts plain objects and refuses null, arrays and scalars', () => {
    expect(isRecord({ a: 1 })).toBe(true);
    for (const value of [null, [], 'x', 1, undefined]) expect(isRecord(value)).toBe(false);
  });
});

describe('withTimeout', () => {
  it('answers with the work when it settles in time', async () => {
    await expect(withTimeout(Promise.resolve(7), 1000, 'probe')).resolves.toBe(7);
  });

  it('rejects naming what did not answer once the time is up', async () => {
    await expect(withTimeout(new Promise(() => undefined), 20, 'kafka publish to t')).rejects.toThrow(
      'kafka publish to t did not answer within 20 ms',
    );
  });
});
